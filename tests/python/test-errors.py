#!/usr/bin/python3
"""Every way a script can be wrong ends in an element ERROR whose text names the file and the line to
look at (or, for a PARAMS entry of a kind that has no property, a WARNING naming the entry while the
rest runs): a missing script is refused when the pipeline starts, with its path."""
import os
import tempfile

import numpy as np

from pyharness import Gst, check, run, script_chain, write

FRAMES = [np.full((48, 64, 3), 100, np.uint8)] * 3

# name: (script text, substrings the error text must hold)
BROKEN = {
    "bad_import.py": ("import os\n\nimport no_such_module_rtfx\n\n"
                      "def process(frame, params):\n    return frame\n",
                      ["bad_import.py, line 3", "ModuleNotFoundError", "no_such_module_rtfx"]),
    "bad_syntax.py": ("def process(frame, params)\n    return frame\n",
                      ["bad_syntax.py, line 1", "SyntaxError"]),
    "no_process.py": ("def proces(frame, params):\n    return frame\n",
                      ["no_process.py", "defines no function process(frame, params)"]),
    "raises.py": ("def helper(x):\n    return x / 0\n\n\n"
                  "def process(frame, params):\n    return helper(1)\n",
                  ["raises.py, line 2, in helper", "ZeroDivisionError"]),
    "bad_shape.py": ("def process(frame, params):\n    return frame[:10]\n",
                     ["bad_shape.py, line 1", "shape (10, 64, 3)", "(48, 64, 3)"]),
    "bad_dtype.py": ("def process(frame, params):\n    return frame.astype('float32')\n",
                     ["bad_dtype.py, line 1", "float32"]),
    "bad_type.py": ("\n\ndef process(frame, params):\n    return 'hello'\n",
                    ["bad_type.py, line 3", "returned a str"]),
    "bad_tuple.py": ("def process(frame, params):\n    return frame, {}, 1\n",
                     ["bad_tuple.py, line 1", "a tuple of 3 items"]),
    "bad_results.py": ("def process(frame, params):\n    return frame, ['not', 'a', 'dict']\n",
                       ["bad_results.py, line 1", "results of type list"]),
    "bad_value.py": ("def process(frame, params):\n    return frame, {'found': [{'x': None}]}\n",
                     ["bad_value.py, line 1", "results['found'][0]['x'] is a NoneType"]),
    "keeps.py": ("kept = []\n\n\ndef process(frame, params):\n    kept.append(frame[1:])\n",
                 ["keeps.py", "kept the frame array", "frame.copy()"]),
    "bad_start.py": ("def start():\n    raise RuntimeError('no model here')\n\n\n"
                     "def process(frame, params):\n    return frame\n",
                     ["bad_start.py, line 2, in start", "start() failed", "no model here"]),
}


def main():
    with tempfile.TemporaryDirectory() as tmp:
        missing = os.path.join(tmp, "missing.py")
        result = run(script_chain(missing), FRAMES)
        check(not result.started, "a missing script: the pipeline does not start")
        check(result.error is not None and missing in result.error[0],
              f"a missing script: the error names its path ({result.error})")
        result = run(script_chain(tmp), FRAMES)
        check(not result.started and "is not a file" in result.error[0],
              f"a directory as the script: refused ({result.error})")
        result = run("rtfxpyfilter", FRAMES)
        check(not result.started and "no script" in result.error[0],
              f"no script at all: refused ({result.error})")

        for name, (text, wanted) in BROKEN.items():
            path = write(tmp, name, text)
            result = run(script_chain(path), FRAMES)
            message = result.error[0] if result.error else ""
            check(result.error is not None and path in message
                  and all(w in message for w in wanted),
                  f"{name}: an error naming {wanted} ({message!r})")
            check(not result.frames, f"{name}: no frame out")

        path = write(tmp, "odd_params.py",
                     "PARAMS = {'good': (1, 0, 5), 'nested': {'x': 1}, 'backwards': (5, 10, 0),\n"
                     "          'empty': [], 'none': None}\n\n"
                     "def process(frame, params):\n    return frame, {'good': params.good}\n")
        pipeline = Gst.parse_launch(f"fakesrc ! {script_chain(path, 'name=f')} ! fakesink")
        params = pipeline.get_by_name("f").get_child_by_name("params")
        names = sorted(p.name for p in params.list_properties()
                       if p.owner_type == type(params).__gtype__)
        check(names == ["good"], f"unsupported PARAMS entries are skipped ({names})")
        result = run(script_chain(path, "params::good=4"), FRAMES)
        check(result.error is None and len(result.frames) == len(FRAMES),
              f"a script with unsupported PARAMS entries runs ({result.error})")
        for entry in ("nested", "backwards", "empty", "none"):
            named = [w for w in result.warnings if f"'{entry}'" in w and path in w]
            check(len(named) == 1, f"a WARNING names the entry {entry!r} ({named})")
        check(all(m.get_value("good") == 4 for m in result.messages), "the good entry works")


if __name__ == "__main__":
    main()

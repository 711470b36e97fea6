"""A script's results dict as the GstStructure rtfxpyfilter posts in an element message.

str, int, float and bool become fields of those types (an int beyond 32 bits a gint64), lists and
tuples GstValueArrays, dicts nested GstStructures named after their key; numpy scalars and arrays
count as the Python numbers and lists they hold. The launcher (protocol.c) turns the structure
into JSON for the page, so what goes in is what a JSON object can say."""
import re

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GObject, Gst  # noqa: E402
import numpy as np  # noqa: E402

INT32 = (-2**31, 2**31 - 1)
# A GstValueArray holds values of one type: numbers of mixed kinds become the widest of them.
NUMBER_TYPES = (GObject.TYPE_INT, GObject.TYPE_INT64, GObject.TYPE_DOUBLE)


def structure(name, results):
    """The structure `name` with a field per key of results; TypeError says what does not fit."""
    s = Gst.Structure.new_empty(name)
    _fill(s, results, "results")
    return s


def _fill(s, mapping, where):
    for key, value in mapping.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"{where} has the key {key!r}: keys must be non-empty strings")
        s.set_value(key, _value(value, f"{where}[{key!r}]", key))


def _value(obj, where, key):
    if isinstance(obj, np.generic):
        obj = obj.item()
    elif isinstance(obj, np.ndarray):
        obj = obj.tolist()
    if isinstance(obj, bool):
        return GObject.Value(GObject.TYPE_BOOLEAN, obj)
    if isinstance(obj, int):
        wide = not INT32[0] <= obj <= INT32[1]
        return GObject.Value(GObject.TYPE_INT64 if wide else GObject.TYPE_INT, obj)
    if isinstance(obj, float):
        return GObject.Value(GObject.TYPE_DOUBLE, obj)
    if isinstance(obj, str):
        return GObject.Value(GObject.TYPE_STRING, obj)
    if isinstance(obj, dict):
        nested = Gst.Structure.new_empty(structure_name(key))
        _fill(nested, obj, where)
        return GObject.Value(Gst.Structure.__gtype__, nested)
    if isinstance(obj, (list, tuple)):
        return _array([_value(v, f"{where}[{i}]", key) for i, v in enumerate(obj)], where)
    raise TypeError(f"{where} is a {type(obj).__name__}: results hold str, int, float, bool, "
                    "lists and dicts")


def _array(values, where):
    types = {v.g_type for v in values}
    if len(types) > 1:
        if not types <= set(NUMBER_TYPES):
            names = ", ".join(sorted(t.name for t in types))
            raise TypeError(f"{where} mixes {names}: a list must hold values of one kind")
        widest = max(types, key=NUMBER_TYPES.index)
        values = [GObject.Value(widest, v.get_value()) for v in values]
    array = GObject.Value()
    array.init(Gst.ValueArray.__gtype__)
    for v in values:
        Gst.ValueArray.append_value(array, v)
    return array


def structure_name(key):
    """A valid structure name (a letter first, then letters, digits and /-_.:+) from a key."""
    name = re.sub(r"[^A-Za-z0-9/_.:+-]", "_", key)
    return name if name[:1].isalpha() else "item_" + name

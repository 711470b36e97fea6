"""The `params` child of rtfxpyfilter: a GstObject whose class is made from a script's PARAMS.

GObject properties belong to a class, and every script has its own parameters, so each PARAMS gets
a class of its own, made once and reused by every instance running a script with the same path and
the same PARAMS (and PARAM_DOCS): editing either gives the next instance a new class, which an
already registered GType could not have given. The values are kept in a dict under a lock, because
they are set from any thread (the launcher's, a control binding's) while the streaming thread reads
them; process() gets one snapshot of them per frame."""
import ctypes
import itertools
import re
import threading
import types

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GObject, Gst  # noqa: E402

LIVE = (GObject.ParamFlags.READWRITE | Gst.PARAM_CONTROLLABLE
        | Gst.PARAM_MUTABLE_PLAYING)
INT_RANGE = (-2**31, 2**31 - 1)
_type_numbers = itertools.count(1)
_classes = {}


class Params(Gst.Object):
    """The parameters of one instance: an attribute per PARAMS entry, a property per attribute."""
    __gtype_name__ = "RtfxPyParams"
    SPECS = ()

    def __init__(self):
        super().__init__(name="params")
        self._lock = threading.Lock()
        self._values = {spec.name: spec.default for spec in self.SPECS}
        self._by_property = {spec.property_name: spec for spec in self.SPECS}

    def do_get_property(self, pspec):
        spec = self._by_property[pspec.name]
        with self._lock:
            return spec.to_property(self._values[spec.name])

    def do_set_property(self, pspec, value):
        spec = self._by_property[pspec.name]
        value = spec.from_property(value)
        with self._lock:
            self._values[spec.name] = value

    def snapshot(self):
        """The values for one frame: params.low and so on, enums by their nick."""
        with self._lock:
            return types.SimpleNamespace(**self._values)


class Spec:
    """One supported PARAMS entry: its property type, range, default and blurb."""

    def __init__(self, name, gtype, default, blurb, bounds=(), nicks=None):
        self.name = name
        self.property_name = name.replace("_", "-")
        self.gtype = gtype
        self.default = default
        self.blurb = blurb
        self.bounds = bounds
        self.nicks = nicks

    def gproperty(self):
        if self.nicks is not None:
            return (self.gtype, self.name, self.blurb, 0, LIVE)
        return (self.gtype, self.name, self.blurb, *self.bounds,
                self.to_property(self.default), LIVE)

    def to_property(self, value):
        return self.nicks.index(value) if self.nicks is not None else value

    def from_property(self, value):
        return self.nicks[int(value)] if self.nicks is not None else value


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number_spec(name, entry, blurb):
    default, low, high = entry
    if not low <= default <= high:
        raise ValueError(f"needs min <= default <= max, got {entry!r}")
    if all(isinstance(v, int) for v in entry):
        wide = not all(INT_RANGE[0] <= v <= INT_RANGE[1] for v in entry)
        gtype = GObject.TYPE_INT64 if wide else GObject.TYPE_INT
        return Spec(name, gtype, default, blurb, (low, high))
    return Spec(name, GObject.TYPE_DOUBLE, float(default), blurb,
                (float(low), float(high)))


def _spec(name, entry, blurb, enum_type_name):
    """The Spec of one entry; ValueError says why an entry is not supported."""
    if not name.isidentifier():
        raise ValueError("the name must be a Python identifier")
    if isinstance(entry, bool):
        return Spec(name, GObject.TYPE_BOOLEAN, entry, blurb)
    if isinstance(entry, str):
        return Spec(name, GObject.TYPE_STRING, entry, blurb)
    if isinstance(entry, tuple) and len(entry) == 3 and all(map(_is_number, entry)):
        return _number_spec(name, entry, blurb)
    if (isinstance(entry, list) and entry and all(isinstance(v, str) and v for v in entry)
            and len(set(entry)) == len(entry)):
        return Spec(name, _register_enum(enum_type_name, entry), entry[0], blurb,
                    nicks=list(entry))
    raise ValueError("supported kinds are (default, min, max) of numbers, a bool, a string, "
                     "or a list of distinct non-empty strings")


def specs(params, docs, stem):
    """The Specs of a PARAMS dict, and a warning for every entry skipped."""
    result, warnings = [], []
    number = next(_type_numbers)
    for name, entry in params.items():
        blurb = docs.get(name) or f"{name}, from PARAMS of {stem}.py (no PARAM_DOCS entry)"
        try:
            result.append(_spec(str(name), entry, blurb,
                                _type_name(f"RtfxPyEnum_{stem}_{number}_{name}")))
        except ValueError as e:
            warnings.append(f"PARAMS entry {name!r} = {entry!r} skipped: {e}")
    return result, warnings


def params_class(path, params, docs, stem):
    """The Params subclass for a script's PARAMS (cached), and the warnings of its entries."""
    key = (path, repr(params), repr(docs))
    if key not in _classes:
        found, warnings = specs(params, docs, stem)
        name = _type_name(f"RtfxPyParams_{stem}_{next(_type_numbers)}")
        cls = type(name, (Params,), {
            "__gtype_name__": name,
            "__gproperties__": {s.property_name: s.gproperty() for s in found},
            "SPECS": tuple(found),
        })
        _classes[key] = (cls, warnings)
    return _classes[key]


def _type_name(text):
    return re.sub(r"[^A-Za-z0-9_+-]", "_", text)


# GLib keeps pointers into the value table of an enum for ever ("static"), PyGObject has no way to
# make a GEnum from Python values (enum_register_new_gtype_and_add needs introspection data), so the
# table is made with ctypes and kept alive here.
class _EnumValue(ctypes.Structure):
    _fields_ = [("value", ctypes.c_int), ("value_name", ctypes.c_char_p),
                ("value_nick", ctypes.c_char_p)]


_gobject = ctypes.CDLL("libgobject-2.0.so.0")
_gobject.g_enum_register_static.restype = ctypes.c_size_t
_gobject.g_enum_register_static.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
_enum_tables = []


def _register_enum(type_name, nicks):
    strings = [nick.encode() for nick in nicks]
    table = (_EnumValue * (len(nicks) + 1))(
        *(_EnumValue(i, s, s) for i, s in enumerate(strings)))
    _enum_tables.append((table, strings))
    _gobject.g_enum_register_static(type_name.encode(), ctypes.addressof(table))
    return GObject.type_from_name(type_name)

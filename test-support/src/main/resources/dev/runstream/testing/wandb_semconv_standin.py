"""runstream's test stand-in for the package opentelemetry-semantic-conventions.

Some package indexes lack it, although wandb's OpenTelemetry dependencies import it. wandb uses
those only to export its own telemetry, which runstream's tests refuse anyway, so every name a
module under opentelemetry.semconv is asked for resolves to an inert value:
  UPPER_CASE constants  -> their dotted attribute key ("http.response.status.code")
  create_* functions    -> a factory of instruments that record nothing
  CamelCase classes     -> a namespace whose members are dotted keys with a .value
  lower_case names      -> submodules, resolved the same way.
Installed only where the real package cannot be.
"""
import importlib.abc
import importlib.machinery
import sys
import types

_PACKAGE = "opentelemetry.semconv"


def _key(name):
    return _Key(name.lower().replace("_", "."))


class _Key(str):
    @property
    def value(self):
        return str(self)


class _Inert:
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: None


class _Namespace:
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _key(name)


class _StandInModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name.startswith("create_"):
            return lambda *args, **kwargs: _Inert()
        if name == name.upper():
            return _key(name)
        if name[:1].isupper():
            return _Namespace()
        # Lower-case: a submodule, which the import system then finds through _Finder.
        raise AttributeError(name)


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname == _PACKAGE or fullname.startswith(_PACKAGE + "."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _StandInModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
    sys.meta_path.insert(0, _Finder())

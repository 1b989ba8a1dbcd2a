"""The suite's own settings in conftest.py that no other test reaches."""

import importlib.machinery
import types
from pathlib import Path

from conftest import COSTLIEST_FIRST, nanobind_extension_loaded


def test_the_costliest_files_are_test_files_of_this_suite():
    """A renamed file would silently drop out of the order xdist hands the files out in."""
    tests = {path.name for path in Path(__file__).parents[1].rglob("test_*.py")}
    assert [name for name in COSTLIEST_FIRST if name not in tests] == []
    assert len(set(COSTLIEST_FIRST)) == len(COSTLIEST_FIRST)


def module(name: str, suffix: str, **attributes) -> types.ModuleType:
    made = types.ModuleType(name)
    made.__file__ = f"/nowhere/{name}{suffix}"
    vars(made).update(attributes)
    return made


EXTENSION = importlib.machinery.EXTENSION_SUFFIXES[0]  # ".cpython-311-x86_64-linux-gnu.so", say


class nb_func:  # the name of nanobind's function type
    pass


class nb_type_0(type):  # the name of nanobind's metaclass
    pass


def test_a_nanobind_function_in_an_extension_is_found():
    loaded = {"libtriton": module("libtriton", EXTENSION, create_add=nb_func(), add=len)}
    assert nanobind_extension_loaded(loaded)


def test_a_nanobind_class_or_instance_alone_is_found():
    builder = nb_type_0("Builder", (), {})
    assert nanobind_extension_loaded({"ext": module("ext", EXTENSION, Builder=builder)})
    assert nanobind_extension_loaded({"ext": module("ext", EXTENSION, default=builder())})


def test_ordinary_extensions_and_python_modules_are_not_nanobind():
    ordinary = module("ordinary", EXTENSION, add=len, Builder=type("Builder", (), {}))
    # The type's name alone, outside an extension module, is not nanobind's.
    python = module("python_module", ".py", create_add=nb_func())
    assert not nanobind_extension_loaded(
        {"ordinary": ordinary, "python_module": python, "types": types}
    )

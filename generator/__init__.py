"""itgrix-gen: the fourteen PHP customization files of the Itgrix connector, from a spec."""

# The one place the version is written: the build (pyproject.toml, tool.hatch.version) reads it
# from here, and `itgrix-gen --version`, deploy records and the render cache use it.
__version__ = "0.2.0"

__all__ = ["Spec", "__version__"]


def __getattr__(name: str) -> object:
    # `from generator import Spec` is the stable import for Python specs; loaded on first use so
    # that `itgrix-gen --version` stays fast.
    if name == "Spec":
        from generator.speclang.spec import Spec

        return Spec
    raise AttributeError(name)

"""itgrix-gen: generate the fourteen PHP customizations of the Itgrix connector from a spec."""

__version__ = "0.1.0"

"""sa2va-assist: grounded answers about your surroundings, spoken as positions people can act on."""

__version__ = "0.1.0"

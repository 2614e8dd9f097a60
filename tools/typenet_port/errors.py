"""The one error typenet-port raises: what it cannot express, and where."""


class PortError(Exception):
    """A module typenet cannot express: names its path in the model, its type and why."""

    def __init__(self, path, module, why):
        where = path or "(the model itself)"
        kind = type(module).__module__ + "." + type(module).__qualname__ if module is not None else "?"
        super().__init__(f"{where} ({kind}): {why}")

"""typenet-port: a PyTorch nn.Module as a typenet type.

    from typenet_port import port
    header = port(torchvision.models.resnet18(), name="resnet18")   # C++ header text

The header declares the module as a typenet type whose state_dict keys, shapes and order are the
module's. `python3 -m typenet_port --help` is the command line (scripts/typenet-port runs it).
"""
from .errors import PortError
from .generate import port

__all__ = ["port", "PortError"]

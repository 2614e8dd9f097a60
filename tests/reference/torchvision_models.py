"""torchvision's architectures (0.14, random initialisation: nothing is downloaded), the reference
models of examples/torchvision/*.hpp. Inputs of 64x64 keep the tests quick; resnet18_224 runs one
model at ImageNet's size."""
import torchvision

MODELS = {
    "resnet18": (lambda: torchvision.models.resnet18(), (3, 64, 64)),
    "resnet18_224": (lambda: torchvision.models.resnet18(), (3, 224, 224)),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(), (3, 64, 64)),
    "efficientnet_b0": (lambda: torchvision.models.efficientnet_b0(), (3, 64, 64)),
}

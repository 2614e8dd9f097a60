"""torchvision's architectures (0.14, random initialisation: nothing is downloaded), the reference
models of examples/torchvision/*.hpp. Inputs of 64x64 keep the tests quick; *_224 entries run the
same models at ImageNet's size once."""
import torchvision

MODELS = {
    "resnet18": (lambda: torchvision.models.resnet18(), (3, 64, 64)),
}

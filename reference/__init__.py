"""The reference: the derivation's backpropagation in NumPy (numpy and stdlib only)."""

from reference.activations import ACTIVATIONS, Activation
from reference.losses import LOSSES, Loss
from reference.network import Gradients, Network
from reference.training import History, train

__all__ = ["ACTIVATIONS", "LOSSES", "Activation", "Gradients", "History", "Loss", "Network", "train"]

"""Classes of the d2l chapter that more than one document's module builds: d2l's own sections and
one reader's answers to its exercises (003) both use NestMLP."""

from torch import nn


class NestMLP(nn.Module):
    """The chapter's NestMLP (out_features=16). Document 003 defines it a second time with 20."""

    def __init__(self, out_features=16):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(),
                                 nn.Linear(64, 32), nn.ReLU())  # fmt: skip
        self.linear = nn.Linear(32, out_features)

    def forward(self, X):
        return self.linear(self.net(X))

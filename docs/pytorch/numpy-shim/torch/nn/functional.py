import numpy as np
from torch import T
def silu(x):
    x = np.asarray(x)
    return T((x / (1 + np.exp(-x))).astype(np.float32))

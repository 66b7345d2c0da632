"""Child process for the crash test: commits edits in a loop, printing each id after COMMIT returns."""

import sys

import numpy as np

from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.store import Project

project = Project.open(sys.argv[1])
rng = np.random.default_rng(int(sys.argv[2]))
for iid in range(1, 100000):
    m = rng.random((64, 64)) < 0.5
    project.save_instances(1, [Instance(iid, 1, MaskPatch(0, 0, m, (64, 64)))])
    print(iid, flush=True)

"""The certificate (`python -m crosscheck`): every activation × loss × dtype against every
oracle, the XOR trajectory and the negative controls, as one verdict.

* `run`: the cells (each a stack of one random structure through `crosscheck.check`),
  the trajectories and the negative controls; the code certified.
* `trajectory`: XOR trained by the reference and by each framework's own update.
* `controls`: the hunt for each mutant's counterexample.
* `render`: the terminal report, the Markdown certificate, the figures.
* `errata`: docs/ERRATA.md, from the hunt for each literal reading of the source text.
"""

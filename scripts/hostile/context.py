"""What the categories share: the seeded random source, the daemon's limits and the
namespaces and entries the setup created (valid-shaped requests need real targets)."""

import random
from dataclasses import dataclass, field

# A small dimension keeps vector bodies short, so most probes cost microseconds of server
# time; one namespace at the embedder's dimension takes the text probes.
VECTOR_NS = "hv"
L2_NS = "hl2"  # the same dimension under the L2 metric, where a zero vector is legal
TEXT_NS = "ht"
DIMENSION = 8


@dataclass
class Context:
    rng: random.Random
    max_body: int
    workdir: str
    entry_ids: list[int] = field(default_factory=list)

    def vector(self, dimension: int = DIMENSION) -> list[float]:
        return [round(self.rng.uniform(-1, 1), 4) or 0.5 for _ in range(dimension)]

    def entry(self) -> int:
        """An existing entry of ``VECTOR_NS`` (1 if the setup stored none)."""
        return self.rng.choice(self.entry_ids) if self.entry_ids else 1

    def entry_path(self, suffix: str = "") -> str:
        return f"/v1/namespaces/{VECTOR_NS}/memories/{self.entry()}{suffix}"

"""The short kill -9 torture inside `make test` (tests/torture/torture.py;
`make torture` runs the long one): both order kinds under load, SIGKILL and
restart several times, then every acknowledged order settled and agreeing
with the provider's ground truth, invariants and `orderd check` clean."""
import os, random, sys, unittest
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "torture"))
import torture


class ShortTorture(unittest.TestCase):
    def test_kill9_cycles_lose_nothing(self):
        seed = int(os.environ.get("TORTURE_SEED", 0)) or random.randrange(1, 1 << 30)
        self.assertTrue(torture.run(int(os.environ.get("TORTURE_CYCLES", 6)), seed), f"seed {seed}")


if __name__ == "__main__":
    unittest.main()

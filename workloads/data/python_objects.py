"""Allocation-heavy Python for allocmark's python workload (workloads/program_python.cc).

usage: python3 python_objects.py ROUNDS OBJECTS SEED

Each round builds an object graph of OBJECTS records (instances with
__dict__, nested dicts and lists, strings built by formatting, joining and
slicing), links them into a graph, serialises it to JSON and parses it back,
checks the round trip, then drops most of it while keeping a random tenth
alive into the next round (so the heap holds long- and short-lived objects
at once, as a server's does). Prints "allocmark-checksum: N" at the end; the
same arguments print the same checksum under every allocator.
"""
import json
import random
import sys


class Record:
    def __init__(self, key, rng):
        self.key = key
        self.name = "record-%08d-%s" % (key, "x" * rng.randrange(0, 48))
        self.tags = [("tag%d" % rng.randrange(100)) for _ in range(rng.randrange(1, 8))]
        self.attrs = {"k%d" % i: rng.random() for i in range(rng.randrange(1, 12))}
        self.links = []

    def to_json(self):
        return {"key": self.key, "name": self.name, "tags": self.tags,
                "attrs": self.attrs, "links": [r.key for r in self.links]}


def build(objects, rng, base):
    records = [Record(base + i, rng) for i in range(objects)]
    for r in records:
        r.links = [records[rng.randrange(objects)] for _ in range(rng.randrange(0, 6))]
    index = {r.name: r for r in records}
    words = " ".join(r.name[:12] for r in records).split(" ")
    text = "|".join(sorted(set(words)))
    return records, index, text


def main():
    rounds, objects, seed = (int(a) for a in sys.argv[1:4])
    rng = random.Random(seed)
    survivors = []
    checksum = 0
    for round_index in range(rounds):
        records, index, text = build(objects, rng, round_index * objects)
        encoded = json.dumps([r.to_json() for r in records])
        decoded = json.loads(encoded)
        if len(decoded) != objects or decoded[-1]["key"] != records[-1].key:
            sys.exit("json round trip lost records in round %d" % round_index)
        if len(index) != objects:
            sys.exit("duplicate record names in round %d" % round_index)
        checksum = (checksum * 1000003 + len(encoded) + len(text)) % (1 << 61)
        survivors.extend(rng.sample(records, objects // 10))
        if len(survivors) > 4 * objects:
            del survivors[: len(survivors) // 2]
    print("allocmark-checksum: %d" % checksum)


if __name__ == "__main__":
    main()

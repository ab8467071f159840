"""Run the benchmarks and print their figures (kept in docs/BENCHMARKS.md)."""

from __future__ import annotations

import argparse
import os
import platform

os.environ.setdefault("PLAZA_ARGON2_PROFILE", "RFC_9106_LOW_MEMORY")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench")
    parser.add_argument("which", nargs="?", default="catalogue",
                        choices=["catalogue", "orders", "sales", "recommendations", "till"])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    if args.which == "orders":
        from tests.bench import orders

        orders.run(args.databases.split(","), min(args.skus, 20_000), args.seconds)
    if args.which == "catalogue":
        from tests.bench import catalogue

        catalogue.run(args.databases.split(","), args.skus, args.clients, args.seconds)
    elif args.which == "sales":
        from tests.bench import sales

        sales.run(args.databases.split(","), args.seconds)
    elif args.which == "recommendations":
        from tests.bench import recommendations

        recommendations.run(args.databases.split(","), seconds=min(args.seconds, 5))
    elif args.which == "till":
        from tests.bench import till

        till.run(args.skus)


if __name__ == "__main__":
    main()

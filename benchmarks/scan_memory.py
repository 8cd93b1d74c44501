"""Peak memory of discovery + sampling + profiling over a ~500 MB CSV (target: peak RSS < 300 MB).

Generates the CSV in a temporary folder (customers with ids, emails, names, phones, dates, amounts,
free text), registers nothing: it calls the same connectors a scan activity calls
(``core.discovery.connectors``) on a local-folder source, then prints ``name=value`` lines, the
headline (peak RSS) last. ``--mb N`` changes the size; ``--keep DIR`` writes the file there instead.

    .venv/bin/python benchmarks/scan_memory.py
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FIRST = ["Ann", "Bob", "Chloé", "Dmitri", "Eve", "Fatima", "Gustav", "Hiro", "Ines", "Jamal"]
LAST = ["Smith", "Müller", "Okafor", "Tanaka", "Rossi", "Dubois", "Nowak", "García", "Kim", "Olsen"]


def write_csv(path: Path, target_bytes: int) -> int:
    rng = random.Random(7)
    rows = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("customer_id,email,first_name,last_name,phone,birth_date,balance,notes\n")
        written = 0
        chunk: list[str] = []
        while written < target_bytes:
            for _ in range(10_000):
                rows += 1
                first, last = rng.choice(FIRST), rng.choice(LAST)
                line = (
                    f"{rows},{first.lower()}.{last.lower()}{rows}@example.com,{first},{last},"
                    f"+1 555 {rng.randrange(1000, 9999)},"
                    f"19{rng.randrange(40, 99)}-0{rng.randrange(1, 9)}-1{rng.randrange(0, 9)},"
                    f'{rng.randrange(0, 10**6) / 100},"note {rng.randrange(10**9)} lorem ipsum dolor sit amet"\n'
                )
                chunk.append(line)
            text = "".join(chunk)
            chunk.clear()
            out.write(text)
            written += len(text.encode())
    return rows


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=500)
    parser.add_argument("--rows", type=int, default=1000, help="rows sampled")
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="scan-memory-") as tmp:
        root = (args.keep or Path(tmp)).resolve()
        root.mkdir(parents=True, exist_ok=True)
        os.environ["DATAWAVE_LOCAL_SOURCE_ROOT"] = str(root)
        from core.datasources.model import LocalFolderConnection
        from core.discovery import connectors
        from core.settings import reset_settings_cache

        reset_settings_cache()
        csv_path = root / "customers.csv"
        started = time.perf_counter()
        rows = write_csv(csv_path, args.mb * 1024 * 1024)
        generate_s = time.perf_counter() - started
        rss_before = peak_rss_mb()

        tracemalloc.start()
        connection = LocalFolderConnection(path=str(root))
        started = time.perf_counter()
        result = connectors.discover(connection, {})
        discover_s = time.perf_counter() - started
        [asset] = result.assets
        started = time.perf_counter()
        sample = connectors.sample(connection, {}, asset, rows=args.rows)
        sample_s = time.perf_counter() - started
        started = time.perf_counter()
        profile = connectors.profile(sample, asset)
        profile_s = time.perf_counter() - started
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        print(f"file_mb={csv_path.stat().st_size / 1024 / 1024:.1f}")
        print(f"file_rows={rows}")
        print(f"generate_s={generate_s:.2f}")
        print(f"row_estimate={asset.row_estimate}")
        print(f"row_estimate_error_pct={abs(asset.row_estimate - rows) / rows * 100:.2f}")
        print(f"columns={len(asset.columns)}")
        print(f"rows_scanned={sample.rows_scanned}")
        print(f"rows_sampled={sample.rows_sampled}")
        print(f"profiled_columns={len(profile.columns)}")
        print(f"discover_s={discover_s:.3f}")
        print(f"sample_s={sample_s:.3f}")
        print(f"profile_s={profile_s:.3f}")
        print(f"scan_wall_s={discover_s + sample_s + profile_s:.3f}")
        print(f"python_heap_peak_mb={traced_peak / 1024 / 1024:.1f}")
        print(f"rss_before_scan_mb={rss_before:.1f}")
        peak = peak_rss_mb()
        print(f"peak_rss_target_mb=300 ok={peak < 300}")
        print(f"peak_rss_mb={peak:.1f}")


if __name__ == "__main__":
    main()

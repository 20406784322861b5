"""A durable run directory: ``trials.jsonl`` (append-only log) and ``state.json``.

Every evaluated trial is appended to ``trials.jsonl`` as one JSON line, flushed and
``fsync``'d before the loop proposes anything new, so a run killed at any moment
(SIGKILL, power loss) loses at most the evaluation in flight. ``state.json`` holds
the configuration, the PRNG counter and the batch being evaluated; it is replaced
atomically (write a temporary file, fsync, rename). The trial log is the source of
truth for data; plain JSON throughout, never pickle.
"""

import json
import os
import pathlib
import warnings

TRIALS = "trials.jsonl"
STATE = "state.json"


class RunDirectory:
    """The files of one run under ``path`` (created on first write)."""

    def __init__(self, path):
        self.path = pathlib.Path(path)

    @property
    def trials_path(self) -> pathlib.Path:
        return self.path / TRIALS

    @property
    def state_path(self) -> pathlib.Path:
        return self.path / STATE

    def exists(self) -> bool:
        return self.state_path.exists()

    def append_trial(self, record: dict) -> None:
        """Append one trial and make it durable before returning."""
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.trials_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def read_trials(self, *, repair: bool = False) -> list[dict]:
        """All complete trials. A truncated last line (a write cut short) is reported
        with a warning and skipped; with ``repair=True`` it is also cut from the file
        so appends continue on a clean line. A corrupt line elsewhere is a ``ValueError``."""
        if not self.trials_path.exists():
            return []
        raw = self.trials_path.read_bytes()
        lines = raw.split(b"\n")
        records, good_bytes = [], 0
        for i, line in enumerate(lines):
            if not line.strip():
                good_bytes += len(line) + 1
                continue
            last = i == len(lines) - 1 or all(not rest.strip() for rest in lines[i + 1 :])
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                if not last:
                    raise ValueError(f"{self.trials_path}: line {i + 1} is not valid JSON: {e}") from e
                warnings.warn(f"{self.trials_path}: skipping a truncated last line ({len(line)} bytes)", stacklevel=2)
                if repair:
                    with open(self.trials_path, "r+b") as f:
                        f.truncate(good_bytes)
                        os.fsync(f.fileno())
                break
            else:
                if i == len(lines) - 1 and repair:  # complete JSON but no newline: finish the line
                    with open(self.trials_path, "ab") as f:
                        f.write(b"\n")
                        os.fsync(f.fileno())
                good_bytes += len(line) + 1
        return records

    def write_state(self, state: dict) -> None:
        """Replace ``state.json`` atomically."""
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".json.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(state, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.state_path)

    def read_state(self) -> dict:
        try:
            return json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(f"{self.path} is not a run directory (no {STATE})") from None
        except json.JSONDecodeError as e:
            raise ValueError(f"{self.state_path} is not valid JSON: {e}") from e

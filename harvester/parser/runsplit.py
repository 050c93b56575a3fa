"""Split digit runs of table rows whose cells ran together in a text extraction.

``行政规范性文件693665`` under three columns, or ``…申请数量640020470`` under seven: the
digits alone are ambiguous, but a printed count has no leading zero and the table's
arithmetic must hold (table 三: total = sum of the six applicant columns, R1; table 四:
each group's four results add up to its total, R4; across rows R2 and R3).  A row is read
only when exactly one split satisfies every rule; otherwise it stays null and the record
says why.  The search is bounded (``BUDGET`` nodes, ``MAX_CANDIDATES`` kept per row), so a
long run costs little and gives up rather than guess.
"""
from __future__ import annotations

from dataclasses import dataclass, field

BUDGET = 20000          # search nodes per row
MAX_CANDIDATES = 64     # splits kept per row for the cross-row (column) rules


@dataclass
class Split:
    """Candidate splits of one row: ``cells`` are the raw strings of each column."""
    candidates: list[tuple[str, ...]] = field(default_factory=list)
    exhausted: bool = True   # False: the budget or the candidate cap was hit
    only_one_way: bool = False   # as many digits as cells: the split needs no rule

    @property
    def unique(self) -> tuple[str, ...] | None:
        if self.exhausted and len(self.candidates) == 1:
            return self.candidates[0]
        return None

    def reason(self) -> str:
        if not self.exhausted:
            return "digits ran together and admit too many splits to check"
        if not self.candidates:
            return "digits ran together and no split satisfies the table's rules"
        if self.only_one_way:
            return "digits ran together, one digit per cell (the only possible split)"
        if len(self.candidates) == 1:
            return "digits ran together; the one split that satisfies the table's rules was read"
        return "digits ran together and %d splits satisfy the table's rules" % len(self.candidates)


def is_count_text(s: str) -> bool:
    """A printed count: digits without a leading zero (except 0 itself)."""
    return s.isdigit() and (s == "0" or s[0] != "0")


def split_row(pieces: list[str], k: int, *, fixed: list[bool] | None = None,
              check=None, group_checks: dict | None = None,
              budget: int = BUDGET, max_candidates: int = MAX_CANDIDATES) -> Split:
    """All ways to cut ``pieces`` into ``k`` cells that satisfy the rules.

    ``pieces`` are the row's value tokens in order; a piece marked ``fixed`` (a separate
    cell as printed, e.g. a blank) is one cell, every other piece is a digit run cut into one
    or more counts.  ``check(cells)`` tests a whole row, ``group_checks[n](cells[:n])`` a
    prefix (to prune early).  Cells are raw strings ("" for a blank).
    """
    fixed = fixed or [False] * len(pieces)
    out = Split()
    nodes = 0
    group_checks = group_checks or {}
    # the fewest and most cells the remaining pieces can give (for pruning)
    mins = [0] * (len(pieces) + 1)
    maxs = [0] * (len(pieces) + 1)
    for i in range(len(pieces) - 1, -1, -1):
        mins[i] = mins[i + 1] + 1
        maxs[i] = maxs[i + 1] + (1 if fixed[i] else max(1, len(pieces[i])))
    if maxs[0] == k:
        # one digit per cell is the only way to fill k cells: nothing to choose between, so
        # the rules are not asked (a table that breaks them is then flagged by the checks)
        only: list[str] = []
        for piece, fx in zip(pieces, fixed):
            only.extend([piece] if fx else list(piece))
        out.candidates.append(tuple(only))
        out.only_one_way = True
        return out
    cells: list[str] = []

    def ok_prefix() -> bool:
        g = group_checks.get(len(cells))
        return g is None or g(cells)

    def walk(pi: int, pos: int) -> bool:
        """Returns False to stop the whole search."""
        nonlocal nodes
        nodes += 1
        if nodes > budget:
            out.exhausted = False
            return False
        if pi == len(pieces):
            if len(cells) == k and (check is None or check(cells)):
                out.candidates.append(tuple(cells))
                if len(out.candidates) > max_candidates:
                    out.exhausted = False
                    return False
            return True
        piece = pieces[pi]
        if fixed[pi]:
            if len(cells) + 1 + mins[pi + 1] > k or len(cells) + 1 + maxs[pi + 1] < k:
                return True
            cells.append(piece)
            cont = walk(pi + 1, 0) if ok_prefix() else True
            cells.pop()
            return cont
        rest = piece[pos:]
        for cut in range(1, len(rest) + 1):
            part = rest[:cut]
            if not is_count_text(part):
                break  # a leading zero: every longer cut has it too
            done_piece = cut == len(rest)
            remaining_min = (mins[pi + 1] if done_piece else 1 + mins[pi + 1])
            remaining_max = (maxs[pi + 1] if done_piece else len(rest) - cut + maxs[pi + 1])
            if len(cells) + 1 + remaining_min > k:
                continue  # too many cells still to come: a longer cut may end the piece
            if len(cells) + 1 + remaining_max < k:
                break  # too few cells left, and longer cuts leave fewer
            cells.append(part)
            if ok_prefix():
                cont = walk(pi + 1, 0) if done_piece else walk(pi, pos + cut)
            else:
                cont = True
            cells.pop()
            if not cont:
                return False
        return True

    walk(0, 0)
    return out

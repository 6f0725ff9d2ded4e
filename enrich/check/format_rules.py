"""`enrich check`'s format rules: a post that departs from the site's format (`enrich init` learns it).

* `format-order`: a key the profile orders before one written above it;
* `format-indent`: list items indented otherwise than `[format] indent` says;
* `format-quote`: a one-line string quoted otherwise than the emitter would write it (quoted where the
  site writes it plain, or in the other quotes). Unquoted values the readers misread are other rules'.

All three are off in the default profile; `enrich init` writes them as warnings.
"""

from __future__ import annotations

from collections.abc import Callable

from yaml.nodes import ScalarNode, SequenceNode

from enrich.frontmatter.split import Block
from enrich.frontmatter.yaml12 import Loaded, mark_position
from enrich.profile import Profile

Add = Callable[[str, int, int, str], None]  # (rule, line, col, message)
RULES = ("format-order", "format-indent", "format-quote")


def check_format(block: Block, loaded: Loaded, profile: Profile, add: Add) -> None:
    """Report every departure from the profile's format, through `add`."""
    if all(profile.rule_severity(rule) == "off" for rule in RULES):
        return
    _order(block, loaded, profile, add)
    _indent(block, loaded, profile, add)
    _quotes(block, loaded, profile, add)


def _order(block: Block, loaded: Loaded, profile: Profile, add: Add) -> None:
    keys = [str(k.value) for k, _ in loaded.pairs]
    expected = profile.ordered_keys(list(dict.fromkeys(keys)))
    if list(dict.fromkeys(keys)) == expected:
        return
    for (key_node, _), key in zip(loaded.pairs, keys, strict=True):
        rank = expected.index(key)
        earlier = [k for k in keys[: keys.index(key)] if expected.index(k) > rank]
        if earlier:
            line, col = mark_position(key_node, block)
            add("format-order", line, col, f"{key}: the site writes it before {earlier[0]!r} (profile key_order)")
            return


def _indent(block: Block, loaded: Loaded, profile: Profile, add: Add) -> None:
    want = profile.format.indent
    wrong = []
    for key_node, node in loaded.pairs:
        if isinstance(node, SequenceNode) and not node.flow_style and node.value:
            have = node.value[0].start_mark.column - 2
            if have != want:
                wrong.append((key_node, node, have))
    if wrong:  # one finding per post: a post is written in one style
        key_node, node, have = wrong[0]
        line, col = mark_position(node.value[0], block)
        written, wanted = (f"{n} spaces" if n else "flush" for n in (have, want))
        more = f" (and {len(wrong) - 1} more lists)" if len(wrong) > 1 else ""
        add("format-indent", line, col, f"{key_node.value}: list items are {written}; the site indents them {wanted}{more}")


def _quotes(block: Block, loaded: Loaded, profile: Profile, add: Add) -> None:
    for key_node, node in loaded.pairs:
        key = str(key_node.value)
        items = [node] if isinstance(node, ScalarNode) else node.value if isinstance(node, SequenceNode) else []
        for scalar in items:
            if not isinstance(scalar, ScalarNode) or scalar.tag != "tag:yaml.org,2002:str" or scalar.style not in ("'", '"'):
                continue
            if "\n" in scalar.value:
                continue
            style = _style(scalar.value, profile, key, item=scalar is not node)
            if style != scalar.style:
                line, col = mark_position(scalar, block)
                how = {"'": "in single quotes", '"': "in double quotes", "": "plain"}
                shown = scalar.value if len(scalar.value) <= 40 else scalar.value[:39] + "…"
                text = f"{key}: {shown} is written {how[scalar.style]}; the site writes it {how[style]}"
                add("format-quote", line, col, text)


def _style(value: str, profile: Profile, key: str, *, item: bool) -> str:
    """The quotes the emitter writes `value` in as this key's value (or list item): "'", '"' or ""."""
    from enrich.frontmatter.emit import entry  # only when the format rules are on: check starts without the emitter

    text = entry(key, [value] if item else value, profile.format).split("\n")[1 if item else 0]
    text = text.lstrip()[2:] if item else text[len(key) + 2 :]
    return text[:1] if text[:1] in ("'", '"') else ""

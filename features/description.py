"""Description family: keyword flags and length of the free-text goods description.

Patterns run on the lower-cased text, once per distinct description. They stay within RE2 syntax
(no look-behind) so pandas can hand them to pyarrow's regex engine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: flag name -> (pattern that sets it, pattern that vetoes it or "").
KEYWORDS: dict[str, tuple[str, str]] = {
    "mentions_used": (r"\b(?:used|second[- ]?hand|pre[- ]?owned|refurbished|worn)\b", ""),
    "mentions_scrap_or_waste": (
        r"\b(?:scraps?|wastes?|junk|residues?|remnants?|debris|rejects?|offcuts?|shredded)\b",
        "",
    ),
    "mentions_recycled": (r"\b(?:recycl\w*|reclaim\w*|recovered|regenerated|reprocessed)\b", ""),
    "mentions_refrigerant_code": (
        r"\b(?:r-?\d{2,3}[a-z]?|h?cfcs?|hfcs?|hfos?|freon|refrigerants?)\b",
        "",
    ),
    "mentions_controlled_ods": (
        r"\b(?:r-?(?:11|12|13|22|113|114|115|123|124|141b|142b|401a|408a|409a|500|502)|h?cfcs?"
        r"|halons?|methyl bromide|bromomethane|carbon tetrachloride|methyl chloroform"
        r"|trichloroethane)\b",
        "",
    ),
    "mentions_personal_effects": (
        r"\b(?:personal effects?|household (?:goods|effects)|personal belongings|gifts?"
        r"|souvenirs?)\b",
        "",
    ),
    "mentions_protected_species": (
        r"\b(?:ivory|tusks?|pangolins?|scales|rhino\w*|rosewood|dalbergia|pterocarpus|kosso"
        r"|mukula|hongmu|red sanders|ebony|shark fins?|python|crocodil\w*|alligators?"
        r"|tortoise\w*|turtles?|caviar|sturgeon|sea cucumbers?|seahorses?|coral|bushmeat"
        r"|totoaba|agarwood|parrots?|primates?|elephants?)\b",
        r"\b(?:weighing|bathroom|kitchen|platform|electronic) scales\b",
    ),
    "description_is_generic": (
        r"^(?:goods|various|assorted|merchandise|parts|samples?|fak|stc|cargo)$"
        r"|\b(?:general cargo|freight all kinds|said to contain|various goods|assorted goods"
        r"|mixed goods|sundries|consolidated cargo)\b",
        "",
    ),
}


def _flags(texts: pd.Series) -> dict[str, np.ndarray]:
    out = {}
    for name, (pattern, veto) in KEYWORDS.items():
        hit = texts.str.contains(pattern, regex=True).to_numpy(dtype=bool)
        if veto:
            hit = hit & ~texts.str.contains(veto, regex=True).to_numpy(dtype=bool)
        out[name] = hit
    return out


def description_features(prepared: pd.DataFrame) -> pd.DataFrame:
    """Keyword flags, emptiness and length of the description."""
    text: pd.Categorical = prepared["text"].array
    texts = pd.Series(np.asarray(text.categories, dtype=object), dtype="str")
    per_text = pd.DataFrame(
        {
            "description_length_chars": texts.str.len().to_numpy(np.int64),
            "description_is_empty": (texts == "").to_numpy(dtype=bool),
            **_flags(texts),
        }
    )
    return per_text.iloc[text.codes].reset_index(drop=True)

"""The trainer's brief of each case study: background with sources, what to look for, the measure.

Background facts come from `data_contracts/reference/REFERENCE.md`, in our own words; the keys
in square brackets are that file's source keys (section 9), so a trainer can look each one up.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation import SCENARIOS


@dataclass(frozen=True)
class Brief:
    """Title, background and the officer-facing wording of one case study."""

    name: str
    title: str
    background: str
    look_for: str
    measure: str
    check: str


BRIEFS: dict[str, Brief] = {
    "ods-label-swap": Brief(
        name="ods-label-swap",
        title="HCFC-22 declared as HFC-134a",
        background=(
            "HCFC-22 (R-22) is being phased out under the Montreal Protocol: developing "
            "countries froze consumption in 2013, cut it by 35% in 2020 and by 67.5% in 2025, "
            "and stop in 2030 apart from a servicing tail [S_HCFC_SCHEDULE]. Imports need a "
            "licence. The price gap makes smuggling pay: R-22 cost about USD 2.5/kg from "
            "producers but EUR 18-30/kg in the EU around 2010 [S_EIA_UNEP_2011, S_IIFIIR_HCFC], "
            "and a Chinese cylinder bought for under USD 100 resold for about USD 300 "
            "[S_REFHQ].\n\nThe classic trick is the label: 20 t of R-22 entered Russia declared "
            "as R-134a, and the same was seen in India [S_REFHQ]; customs checklists name "
            "'mislabelling as non-ODS' as a standard scheme [S_CHECKLIST]. In Ajman (UAE) "
            "13,000 cylinders in 11 containers came in R-404A cartons with R-134a-coloured, "
            "unstencilled cylinders [S_COOLPOST_UAE]: China to the UAE's free zones is a "
            "documented corridor, and transhipment through free-trade zones a named ODS method "
            "[S_EFCTC_HIST]. Red flags: a price far below the market for the declared gas, no "
            "or a reused licence, a hub on the route, a young importer."
        ),
        look_for=(
            "Find the declarations of HFC-134a (HS 2903.45) that originate in China and are "
            "consigned from or routed through the United Arab Emirates"
        ),
        measure="unit_value",
        check=(
            "Check the licence with the national ozone unit (number, holder, quantity left) "
            "[S_CHECKLIST], then the cylinders: colour and label against the declared gas, "
            "missing stencils, cartons that name another gas [S_COOLPOST_UAE], and a reading "
            "with a refrigerant identifier (common practice)."
        ),
    ),
    "ewaste-as-used-goods": Brief(
        name="ewaste-as-used-goods",
        title="Broken electronics shipped as second-hand goods",
        background=(
            "Since 1 January 2025 every transboundary movement of e-waste needs the prior "
            "informed consent of the importing state under the Basel Convention's e-waste "
            "amendments [S_BASEL_EWASTE]; EU law in effect bans such exports to developing "
            "countries [S_RESOURCE_EWASTE]. Shippers therefore declare broken equipment as "
            "second-hand goods. The EU rules say what real used goods carry: a contract "
            "stating reuse and full functionality, a test record on every item, a declaration "
            "that nothing is waste, and packaging that protects the load [S_WEEE_ANNEXVI].\n\n"
            "The 'Person in the Port' study found about 60 kt of used electronics a year "
            "entering Nigeria in 2015-16, at least a quarter of it not working, and some 70% "
            "of it inside ro-ro vehicles [S_NIGERIA_PIP]; in Ghana roughly 20% of such imports "
            "end as waste [S_RECYHUB]. Europe (Germany, the UK, Belgium, the Netherlands, "
            "Spain) and the US are the documented sources [S_NIGERIA_PIP, "
            "S_RECYCLINGTODAY_WA]. The typical disguise is the used-computer or TV code "
            "(8471, 8528) instead of the e-waste heading 8549 [S_RECYHUB]. Red flags: a value "
            "per kg near scrap value, vague 'household goods' wording, no test records."
        ),
        look_for=(
            "Find the declarations of used computers or monitors and TVs (HS 8471.30, "
            "8528.52, 8528.72) that originate in the United Kingdom"
        ),
        measure="unit_value",
        check=(
            "Ask for the Annex VI evidence: a contract or invoice stating reuse and full "
            "functionality, a test record on every item, a declaration that nothing is "
            "waste, and protective packaging [S_WEEE_ANNEXVI]; without it, or with mixed, "
            "badly packed loads, treat the cargo as e-waste that needs prior informed consent "
            "[S_BASEL_EWASTE]."
        ),
    ),
    "plastic-rerouting-after-ban": Brief(
        name="plastic-rerouting-after-ban",
        title="Plastic scrap re-routed after an import ban",
        background=(
            "Until 2018 China took about 56% of the world's plastic scrap imports "
            "[S_WIKI_CN_BAN]. Its National Sword ban sent the flow to Malaysia, Vietnam and "
            "Thailand, then Indonesia and Turkey [S_GAIA_TIMELINE, S_NOBURN, S_RESREC_2019], "
            "and each of them answered with freezes and bans of its own [S_GAIA_TIMELINE]; "
            "since 2021 most plastic waste needs prior informed consent under the Basel "
            "plastic amendments [S_WCO_PLASTIC]. Every ban re-routes cargo, and some of it is "
            "declared as raw material: plastic scrap (3915) shipped as primary polyethylene "
            "or PET resin (3901, 3907) is a documented disguise [S_GAIA_TIMELINE]. Scrap sold "
            "for about USD 0.4/kg [S_RECYCLINGTODAY_PLASTIC], far below virgin resin.\n\n"
            "In this world Thailand's plastic scrap ban takes effect on the first day of the "
            "review, and a scheme starts the same day. The model was trained on the months "
            "before: it has never seen the new pattern. This case is about drift, and about "
            "why a share of every red lane goes to random inspections."
        ),
        look_for=(
            "Find the declarations of polyethylene resin (HS 3901.10, 3901.20) that "
            "originate in the United States and are consigned from or routed through Hong "
            "Kong"
        ),
        measure="unit_value",
        check=(
            "The random stream: only declarations picked at random give an unbiased look at "
            "what no rule or model expects, and the seizures it makes become the labels that "
            "teach the next model the new pattern. At the port, check the goods against the "
            "declaration: bales of mixed scrap are not bagged resin granules (common "
            "practice), and plastic waste needs prior informed consent [S_WCO_PLASTIC]."
        ),
    ),
    "ivory-in-cover-goods": Brief(
        name="ivory-in-cover-goods",
        title="Ivory hidden in sesame via Mombasa",
        background=(
            "In 2013 Kenyan customs found ivory in sacks of sesame ('simsim') at Mombasa, "
            "shipped from Uganda towards Malaysia; the route itself was a flag, as traffickers "
            "send cover goods through countries that do not consume them [S_MOMBASA_2013]. "
            "Ivory has been declared as ceramics [S_STE_CERAMICS], hidden with pangolin "
            "scales under frozen beef (Hong Kong, 2019) [S_WJC_2020] and inside plastic scrap "
            "(Maputo) [S_MAPUTO]. The documented ivory routes run from Uganda, Tanzania, Kenya "
            "and central Africa through Mombasa or Dar es Salaam, sometimes via Turkey or the "
            "UAE, to Malaysia, Cambodia, Hong Kong, China and Thailand [S_MOMBASA_2013, "
            "S_EIA_WOA]. Raw ivory sold for USD 730-2,100/kg in China in 2010-2017 "
            "[S_STE_IVORY]; 206 t of pangolin scales were seized in 52 large seizures in "
            "2016-19 [S_WJC_2020].\n\nThe cover goods are declared at their own price, so the "
            "value looks normal. What gives the load away is physics: ivory is far denser "
            "than seed, so containers weigh more than sesame loads do [S_MOMBASA_2013, "
            "S_CONTAINERS]."
        ),
        look_for=(
            "Find the declarations of sesame seed (HS 1207.40) that originate in Uganda and "
            "are consigned from or routed through Kenya"
        ),
        measure="weight_per_container",
        check=(
            "Compare the weight with the payload and the bag count: ivory in 90 kg sesame "
            "sacks is what made the Mombasa loads heavy [S_MOMBASA_2013, S_CONTAINERS]. "
            "Weigh and scan the container and open sacks deep inside the load, not only at "
            "the doors (common practice)."
        ),
    ),
    "rosewood-generic-timber": Brief(
        name="rosewood-generic-timber",
        title="Rosewood under a generic timber code",
        background=(
            "Madagascar's rosewoods and ebonies (Dalbergia, Diospyros) have been on CITES "
            "Appendix II since 2013 for logs, sawn wood and veneer [S_COP16_P63], and every "
            "Dalbergia species since 2017 [S_SENEGAL_PC22]: an export permit must travel "
            "with the wood. The demand is China's 'hongmu' furniture trade, which imported "
            "1.2 million m3 in 2013 at about USD 1,150/m3 [S_ITTO_2013], against about "
            "USD 330/m3 for tropical logs in 2019 [S_ITTO_2019]. Operation Thunder 2021 alone "
            "seized 313 m3 of rosewood [S_THUNDER_2021].\n\nThe usual disguise is a generic "
            "code and a vague name: 'sawn hardwood' (4407.99) or 'redwood' instead of the "
            "rosewood subheadings [S_SENEGAL_PC22, S_COP16_P63]. Shipments pass through hubs "
            "on the way to China, so a transit declaration deserves the same attention as an "
            "import. The wood itself is the tell: rosewood is much denser than ordinary "
            "hardwood, so the declared kilograms per cubic metre are high."
        ),
        look_for=(
            "Find the declarations of sawn wood n.e.s. (HS 4407.99) that originate in "
            "Madagascar and are bound for China"
        ),
        measure="kg_per_unit",
        check=(
            "A CITES export permit from Madagascar (Appendix II) must accompany Dalbergia "
            "sawn wood [S_COP16_P63]; check it against the species, volume and the "
            "consignment, and ask for a wood identification when the density or the name "
            "('redwood', 'hardwood') is vague [S_SENEGAL_PC22]. Transit cargo is within "
            "CITES: the permit must cover the whole journey."
        ),
    ),
}


def brief(name: str) -> Brief:
    """The brief of a scenario (KeyError for an unknown name)."""
    return BRIEFS[name]


def case_study_names() -> list[str]:
    """Every scenario with a brief, in the simulator's order."""
    return [name for name in SCENARIOS if name in BRIEFS]

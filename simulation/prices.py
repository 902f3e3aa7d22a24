"""Reference unit values (USD per kg) for the HS6 codes the risk story turns on.

Where `magnitudes.csv` has a figure it is used (metric named); the rest are our estimates of a
2024 CIF price into a South-East Asian port. New and second-hand goods share one code, so the
reference is for new goods; second-hand dealers price lower (see `trade`).
"""

from __future__ import annotations

from data_contracts import reference

#: hs6 -> magnitudes metric whose typical value (converted to USD/kg) is the reference.
_FROM_MAGNITUDES: dict[str, tuple[str, float]] = {
    "290345": ("r134a_price_china", 1.0),
    "290342": ("r32_price_china", 1.0),
    "290344": ("r125_price_china", 1.0),
    "382763": ("r410a_price_china", 1.0),
    "391510": ("plastic_scrap_unit_value_us_exports", 1.0),
    "391520": ("plastic_scrap_unit_value_us_exports", 1.0),
    "391530": ("plastic_scrap_unit_value_us_exports", 1.0),
    "391590": ("plastic_scrap_unit_value_us_exports", 1.0),
    "390110": ("virgin_pe_pp_resin_value_for_simulation", 1.0),
    "390120": ("virgin_pe_pp_resin_value_for_simulation", 1.0),
    "390210": ("virgin_pe_pp_resin_value_for_simulation", 1.0),
    "390761": ("virgin_pe_pp_resin_value_for_simulation", 1.05),
    "720449": ("ferrous_scrap_hms_cfr_turkey", 1.0),
    "720441": ("ferrous_scrap_hms_cfr_turkey", 0.9),
    "740400": ("copper_scrap_value_for_simulation", 1.0),
    "760200": ("aluminium_scrap_value_for_simulation", 1.0),
    "470710": ("paper_scrap_value_for_simulation", 1.0),
    "470790": ("paper_scrap_value_for_simulation", 0.8),
    "630900": ("used_clothing_price_to_exporter", 1.0),
    "854999": ("ewaste_declared_value_for_simulation", 1.0),
    "854939": ("ewaste_declared_value_for_simulation", 1.0),
    "854991": ("ewaste_declared_value_for_simulation", 0.8),
    "050710": ("ivory_wholesale_china", 1.0),
    # USD per m3 -> per kg at about 650 kg per m3 (tropical hardwood, air-dry)
    "440349": ("china_imported_logs_avg", 2.0 / 650.0),
    "440399": ("china_imported_logs_avg", 1.5 / 650.0),
    "440729": ("china_hongmu_imports_avg", 1.0 / 650.0),
}

#: Our estimates (USD per kg) for codes without a magnitude.
_ESTIMATES: dict[str, float] = {
    "290371": 4.0,
    "290377": 8.0,
    "290376": 15.0,
    "290351": 45.0,
    "290359": 30.0,
    "382761": 6.0,
    "382768": 20.0,
    "382764": 5.5,
    "382765": 9.0,
    "290361": 6.0,
    "841510": 12.0,
    "841581": 12.0,
    "841582": 11.0,
    "841821": 6.0,
    "841869": 10.0,
    "841430": 14.0,
    "120740": 1.6,
    "120242": 1.3,
    "080132": 8.0,
    "030559": 6.0,
    "030389": 2.0,
    "020230": 5.5,
    "970390": 60.0,
    "691200": 2.5,
    "442011": 25.0,
    "271019": 0.75,
    "271099": 0.3,
    "850710": 3.5,
    "850720": 3.0,
    "850760": 20.0,
    "854911": 0.6,
    "847130": 250.0,
    "847141": 120.0,
    "852872": 25.0,
    "852852": 20.0,
    "851713": 900.0,
    "844331": 15.0,
    "845011": 5.0,
    "870321": 12.0,
    "870323": 15.0,
    "870332": 16.0,
    "870421": 10.0,
    "401220": 0.6,
    "400400": 0.3,
    "160431": 1500.0,
    "051191": 120.0,
    "300490": 45.0,
    "030111": 40.0,
    "010620": 60.0,
    "010632": 150.0,
    "030571": 90.0,
    "030579": 15.0,
    "051199": 8.0,
    "050790": 6.0,
    "410320": 25.0,
    "411330": 60.0,
    "440799": 0.7,
}


def reference_unit_values() -> dict[str, float]:
    """USD per kg for the named HS6 codes, magnitudes first, then our estimates."""
    table = reference.magnitudes()
    values = {
        hs6: float(table.loc[metric, "typical"]) * factor
        for hs6, (metric, factor) in _FROM_MAGNITUDES.items()
    }
    return {**_ESTIMATES, **values}

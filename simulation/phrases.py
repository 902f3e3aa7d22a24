"""How traders actually describe the goods of the codes the risk story turns on (our wording).

Other codes get phrases cut from their HS 2022 description in `text`.
"""

from __future__ import annotations

PHRASES: dict[str, tuple[str, ...]] = {
    "290345": ("REFRIGERANT GAS R134A", "R-134a refrigerant 13.6kg cyl", "HFC-134A (1,1,1,2-TETRAFLUOROETHANE)", "refrigerant gas R134a in disposable cylinders", "R134A GAS"),
    "290342": ("R32 REFRIGERANT", "difluoromethane HFC-32", "R-32 GAS 9KG CYL"),
    "290371": ("R22 REFRIGERANT GAS", "HCFC-22 chlorodifluoromethane 13.6kg", "R-22 GAS CYLINDERS"),
    "290351": ("HFO-1234YF REFRIGERANT", "R1234yf 10kg cylinder", "HFO-1234ze", "low GWP refrigerant HFO"),
    "382768": ("R-513A REFRIGERANT BLEND", "R454B refrigerant", "HFO/HFC blend refrigerant"),
    "382763": ("R410A REFRIGERANT GAS 11.3KG", "refrigerant R-410A", "R-407A BLEND"),
    "382761": ("R404A REFRIGERANT", "R-507A gas cylinders", "R404A 10.9KG"),
    "841510": ("SPLIT AIR CONDITIONER", "wall mounted air cond unit", "AIR CONDITIONER 1.5HP", "split type aircon"),
    "841582": ("PACKAGED AIR CONDITIONING UNIT", "air conditioner w/ refrigerating unit", "CEILING CASSETTE AIRCOND"),
    "841869": ("WATER CHILLER", "ice machine", "REFRIGERATION EQUIPMENT", "commercial chiller unit"),
    "841430": ("REFRIGERATION COMPRESSOR", "compressor for aircond", "ROTARY COMPRESSOR"),
    "390110": ("LDPE GRANULES", "LLDPE resin film grade", "POLYETHYLENE LDPE VIRGIN", "PE granules"),
    "390120": ("HDPE RESIN", "HDPE granules blow moulding grade", "HIGH DENSITY POLYETHYLENE"),
    "390210": ("POLYPROPYLENE HOMOPOLYMER", "PP resin", "PP GRANULES INJECTION GRADE"),
    "390761": ("PET RESIN BOTTLE GRADE", "PET chips", "POLYETHYLENE TEREPHTHALATE RESIN"),
    "391590": ("PLASTIC SCRAP", "PET bottle flakes", "MIXED PLASTIC SCRAP FOR RECYCLING", "plastic waste bales", "PP/PE REGRIND"),
    "391510": ("PE FILM SCRAP", "LDPE scrap bales", "POLYETHYLENE WASTE"),
    "391520": ("PS SCRAP", "polystyrene scrap"),
    "391530": ("PVC SCRAP", "pvc regrind"),
    "470790": ("MIXED PAPER WASTE", "waste paper for recycling", "MIXED PAPER BALES"),
    "470710": ("OCC WASTE PAPER", "old corrugated cartons", "KRAFT WASTE PAPER BALES"),
    "847130": ("LAPTOP COMPUTER", "notebook pc", "LAPTOPS 14 INCH", "portable computer"),
    "847141": ("DESKTOP COMPUTER", "all-in-one pc"),
    "852872": ("LED TELEVISION 55 INCH", "colour television", "LCD TV"),
    "852852": ("COMPUTER MONITOR 24 INCH", "lcd monitor"),
    "844331": ("MULTIFUNCTION PRINTER", "photocopier machine", "MFP COPIER"),
    "851713": ("SMARTPHONES", "mobile phone", "SMART PHONE 128GB"),
    "845011": ("WASHING MACHINE 8KG", "front load washer"),
    "870323": ("MOTOR CAR 2.0L PETROL", "passenger car", "RECOND CAR 1.8L", "motor vehicle 2000cc"),
    "870321": ("PASSENGER CAR 1.0L", "motor car 998cc"),
    "870421": ("PICKUP TRUCK DIESEL", "light goods vehicle diesel"),
    "720449": ("HMS 1&2 SCRAP", "heavy melting steel scrap", "IRON SCRAP", "SHREDDED STEEL SCRAP"),
    "760200": ("ALUMINIUM SCRAP", "aluminium scrap taint tabor", "ALU UBC SCRAP"),
    "740400": ("COPPER SCRAP", "copper wire scrap millberry", "BRASS/COPPER SCRAP"),
    "850710": ("LEAD ACID BATTERY 12V", "car battery", "AUTOMOTIVE BATTERIES"),
    "850720": ("LEAD ACID BATTERIES INDUSTRIAL", "VRLA battery"),
    "271019": ("FUEL OIL 180CST", "marine fuel oil", "HEAVY FUEL OIL", "BASE OIL"),
    "630900": ("USED CLOTHING", "second hand clothes in bales", "WORN CLOTHING MIXED", "used garments"),
    "401220": ("USED TYRES", "used tyres casings", "PART WORN TYRES"),
    "400400": ("RUBBER SCRAP", "tyre crumb rubber"),
    "120740": ("SESAME SEEDS", "natural white sesame seed", "SESAME SEEDS 50KG BAGS", "hulled sesame"),
    "120242": ("GROUNDNUTS SHELLED", "peanut kernels", "RAW PEANUTS"),
    "030559": ("DRIED FISH", "sun dried fish", "DRY FISH IN BAGS", "salted dried fish"),
    "691200": ("CERAMIC TABLEWARE", "ceramic mugs and plates", "CERAMICWARE", "ceramics"),
    "080132": ("CASHEW KERNELS", "cashew nuts W320", "RAW CASHEW NUTS"),
    "020230": ("FROZEN BONELESS BEEF", "frozen beef cuts", "FROZEN BUFFALO MEAT"),
    "030389": ("FROZEN FISH", "frozen whole fish", "FROZEN MACKEREL"),
    "051199": ("ANIMAL PRODUCTS", "animal by-products", "DRIED ANIMAL PARTS"),
    "050790": ("HORNS AND HOOVES", "cattle horn", "ANTLERS"),
    "970390": ("SCULPTURE", "artwork", "WOODEN SCULPTURE", "ART PIECES"),
    "442011": ("WOODEN STATUETTES", "wood carving", "HANDICRAFT WOODEN"),
    "030111": ("ORNAMENTAL FISH", "live aquarium fish", "TROPICAL FISH LIVE", "arowana fish"),
    "440799": ("SAWN TIMBER", "sawn hardwood", "HARDWOOD LUMBER", "meranti sawn timber"),
    "440399": ("LOGS", "hardwood logs", "ROUND LOGS"),
    "440890": ("VENEER SHEETS", "wood veneer"),
    "410320": ("RAW REPTILE SKINS", "python skins raw", "SALTED REPTILE SKINS"),
    "411330": ("REPTILE LEATHER", "python leather finished", "CROCODILE LEATHER"),
    "030579": ("DRIED FISH MAW", "dried seafood", "DRIED FISH OFFAL"),
    "160431": ("CAVIAR", "sturgeon caviar 125g tin", "CAVIAR IN TINS"),
    "051191": ("DRIED SEAHORSE", "dried marine products", "DRIED SEA HORSE"),
    "300490": ("TRADITIONAL MEDICINE", "chinese herbal medicine", "MEDICAMENTS", "TCM pills"),
    "010632": ("LIVE PARROTS", "live birds", "CAPTIVE BRED PARROTS"),
    "010639": ("LIVE BIRDS", "songbirds live"),
    "010690": ("LIVE ANIMALS", "live amphibians"),
}  # fmt: skip

#: Vague descriptions that honest and dishonest declarants both use.
VAGUE = (
    "GENERAL CARGO", "GENERAL MERCHANDISE", "GOODS AS PER INVOICE", "SPARE PARTS", "SAMPLES",
    "MIXED GOODS", "used household goods", "PERSONAL EFFECTS", "assorted items",
    "STC AS PER INVOICE", "consolidated cargo", "FAK",
)  # fmt: skip

#: Packaging and quantity tails appended to some descriptions ({n} is filled in).
TAILS = (" - {n} CTNS", " ({n} PKGS)", " 1X40HC STC", " PACKED IN BAGS", " {n} PCS", " QTY {n}",
         " IN {n} PALLETS", " 1X20GP")  # fmt: skip

#: Abbreviations customs brokers use (applied to a share of rows).
ABBREVIATIONS = (("and", "&"), ("other", "oth"), ("with", "w/"), ("parts", "pts"),
                 ("machines", "mach"), ("of ", ""), ("n.e.c.", "nes"))  # fmt: skip

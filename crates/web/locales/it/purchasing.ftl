## Acquisti solidali: parole comuni

unit_kg = kg
unit_piece = pz
unit_l = l
unit_box = cassetta
transfer_kind_purchase = Acquisti solidali

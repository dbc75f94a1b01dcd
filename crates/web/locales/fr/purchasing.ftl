## Achats solidaires : mots partagés

unit_kg = kg
unit_piece = pièce
unit_l = l
unit_box = caisse
transfer_kind_purchase = Achats groupés

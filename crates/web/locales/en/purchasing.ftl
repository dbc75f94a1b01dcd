## Solidarity purchasing: shared words

unit_kg = kg
unit_piece = pc
unit_l = l
unit_box = box
transfer_kind_purchase = Purchasing

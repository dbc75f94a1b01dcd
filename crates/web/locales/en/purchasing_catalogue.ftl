## Solidarity purchasing: the entry page, producers' catalogues and groups' pickup points

purchasing_intro = Buy food together from the district's farms and producers: browse their catalogues, and find where your purchasing group collects orders.

catalogue_mine = Catalogues you keep
catalogue_producers = Producers' catalogues
catalogue_no_producers = No producer has published a catalogue yet.
catalogue_product_count = { $count ->
    [one] 1 product
   *[other] { $count } products
}
catalogue_title = Catalogue
catalogue_breadcrumbs = Where you are
catalogue_profile = The producer's profile
catalogue_add = Add a product
catalogue_products = Products
catalogue_empty = This catalogue has no products yet.
catalogue_withdrawn = Withdrawn products
catalogue_withdrawn_hint = Households do not see these products. Put one back to sell it again.
catalogue_price = Price
catalogue_vat = VAT
catalogue_step = Ordered by
catalogue_package = shipped in packages of
catalogue_stock = Left in stock
catalogue_origin = Origin
catalogue_certifications = Certifications
catalogue_season = Season
catalogue_all_year = all year
catalogue_edit = Edit
catalogue_withdraw = Withdraw
catalogue_restore = Put back on sale
catalogue_save = Save the product
catalogue_new_title = New product
catalogue_edit_title = Edit a product
catalogue_is_withdrawn = This product is withdrawn: households do not see it.

catalogue_field_sku = Product code
catalogue_field_name = Name
catalogue_field_description = Description
catalogue_field_unit = Sold by
catalogue_field_step = Ordered in steps of
catalogue_field_package_size = Package size
catalogue_field_price_euro = Price in euro, per unit
catalogue_field_price_credit = Price in credit, per unit
catalogue_field_vat_rate = VAT rate (%)
catalogue_field_origin = Origin (farm, village, valley)
catalogue_field_certifications = Certifications
catalogue_field_season = Months it is available
catalogue_field_stock = Limited stock
catalogue_field_header = header line
catalogue_field_line = whole line
catalogue_hint_sku = Your own code for the product, used when you import a file again. Left empty, one is made from the name.
catalogue_hint_step = The smallest amount a household orders, e.g. 0,5 for half a kilo. Empty: one whole unit.
catalogue_hint_package_size = If you ship whole packages (a 5 kg crate), its size in units; orders are rounded to whole packages. Empty: not packaged.
catalogue_hint_prices = Give a price in euro, in credit, or both.
catalogue_hint_stock = How much you can sell in all. Empty: unlimited.
catalogue_hint_season = No month ticked means all year.

catalogue_cert_organic = Organic
catalogue_cert_biodynamic = Biodynamic
catalogue_cert_participatory = Participatory guarantee
catalogue_cert_fair_trade = Fair trade
catalogue_cert_designation = Protected designation of origin

catalogue_month_1 = January
catalogue_month_2 = February
catalogue_month_3 = March
catalogue_month_4 = April
catalogue_month_5 = May
catalogue_month_6 = June
catalogue_month_7 = July
catalogue_month_8 = August
catalogue_month_9 = September
catalogue_month_10 = October
catalogue_month_11 = November
catalogue_month_12 = December

catalogue_photo = Photo
catalogue_photo_current = The product's current photo
catalogue_photo_file = Photo of the product
catalogue_photo_hint = A JPEG, PNG or WebP image of at most { $count } KB.
catalogue_photo_upload = Upload the photo

catalogue_files = Catalogue files
catalogue_export_intro = Download the catalogue to open it in a spreadsheet or to import it in another purchasing tool (GASdotto reads GDXP).
catalogue_export_gdxp = Download as GDXP (JSON)
catalogue_export_csv = Download as CSV (spreadsheet)
catalogue_import_file = Import a catalogue file
catalogue_import_hint = A GDXP file (.json) or a CSV file of at most 10 MB. Products whose code is already in your catalogue are replaced, the others are added. If any line is wrong, nothing is imported.
catalogue_import = Import
catalogue_import_refused = The file was not imported: nothing in your catalogue changed. Correct these problems and import it again.
catalogue_problem_line = Line { $line } ({ $field })
catalogue_problem_file = The file

catalogue_done_added = The product was added.
catalogue_done_changed = The product was saved.
catalogue_done_withdrawn = The product was withdrawn: households no longer see it.
catalogue_done_restored = The product is on sale again.
catalogue_done_photo = The photo was saved.
catalogue_done_import = Catalogue imported: { $added } added, { $updated } replaced.
catalogue_done_skipped = { $count } product(s) marked as not orderable in the file were left out.
catalogue_more_problems = { $count ->
    [one] and 1 more problem.
   *[other] and { $count } more problems.
}

catalogue_sku_taken = Another product of your catalogue already has this code.
catalogue_full = The catalogue is full (5,000 products at most).
catalogue_photo_missing = Choose a photo to upload.
catalogue_photo_too_large = The photo is too large: at most 1 MB.
catalogue_photo_type = This file is not a JPEG, PNG or WebP image.
catalogue_file_missing = Choose a file to import.
catalogue_file_too_large = The file is too large: at most 10 MB.
catalogue_not_text = This file is not text (UTF-8): save it as CSV or GDXP.
catalogue_one_supplier = The GDXP file must hold exactly one supplier's catalogue.
catalogue_no_products = The file holds no product.

## Error codes of products and catalogue files (shared by forms, CSV and GDXP)

bad_product_name = Give the product a name (at most 120 characters).
bad_unit = Choose a unit: kilogram, piece, litre or box.
bad_step = The step must be a positive quantity with at most 3 decimals.
step_not_whole = Pieces and boxes are ordered whole: the step must be a whole number.
bad_package_size = The package size must be a positive multiple of the step.
bad_price = The price must be a positive amount with at most 2 decimals (or the credit's decimals).
price_missing = Give a price in euro or in credit.
bad_vat_rate = The VAT rate must be a percentage between 0 and 50, with at most 2 decimals.
text_too_long = The description or origin is too long (at most 2,000 characters).
bad_certification = Unknown certification.
bad_season = Unknown month in the season.
bad_stock = The stock must be a quantity of zero or more, with at most 3 decimals.
stock_with_packages = A product with limited stock cannot also ship in packages.
bad_sku = The product code is too long (at most 64 characters).
duplicate_sku = This product code appears twice in the file.
not_json = This file is not valid JSON.
not_gdxp = This JSON file is not a GDXP catalogue.
unsupported_gdxp_version = This GDXP version is not supported (version 1 is).
too_many_suppliers = The file holds too many suppliers.
supplier_missing = A block of the file has no supplier.
bad_supplier_name = The supplier's name is missing or too long.
bad_vat_number = The supplier's VAT number is not valid.
bad_tax_code = The supplier's tax code is not valid.
products_missing = The supplier has no product list.
too_many_products = The file holds too many products (5,000 at most).
bad_product = This product is not a valid GDXP product.
bad_description = The product's description is not text.
bad_extension = The Distretto details of this product are not valid.
missing_header = The file is empty: the first line must name the columns.
bad_header = The first line must name each column once: sku, name, description, unit, step, package_size, price_euro, price_credit, vat_rate, origin, certifications, season, stock.
malformed_line = This line cannot be read (check its quotes).
wrong_field_count = This line does not have one value per column.
bad_coordinates = Coordinates are latitude then longitude in degrees, e.g. 45.07, 7.68.

## Pickup points

pickup_title = Pickup points
pickup_my_groups = Your purchasing groups
pickup_intro = Where the group's households collect their orders.
pickup_none = This group has no pickup point yet.
pickup_coordinates = Coordinates
pickup_withdraw = Withdraw
pickup_add_title = Add a pickup point
pickup_add = Add the pickup point
pickup_field_name = Name
pickup_field_address = Address
pickup_field_coordinates = Coordinates (optional)
pickup_hint_coordinates = Latitude and longitude as a map shows them, e.g. 45.07, 7.68.
pickup_done_added = The pickup point was added.
pickup_done_withdrawn = The pickup point was withdrawn.
pickup_bad_name = Give the pickup point a name (at most 120 characters).
pickup_bad_address = Give the pickup point's address (at most 300 characters).
pickup_too_many = The group has too many pickup points (200 at most).

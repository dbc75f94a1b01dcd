## Achats solidaires : la page d'accueil, les catalogues des producteurs et les points de retrait des groupements

purchasing_intro = Achetez ensemble auprès des fermes et des producteurs du district : parcourez leurs catalogues et trouvez où votre groupement d'achat distribue les commandes.

catalogue_mine = Les catalogues que vous tenez
catalogue_producers = Catalogues des producteurs
catalogue_no_producers = Aucun producteur n'a encore publié de catalogue.
catalogue_product_count = { $count ->
    [one] 1 produit
   *[other] { $count } produits
}
catalogue_title = Catalogue
catalogue_breadcrumbs = Où vous êtes
catalogue_profile = La fiche du producteur
catalogue_add = Ajouter un produit
catalogue_products = Produits
catalogue_empty = Ce catalogue n'a encore aucun produit.
catalogue_withdrawn = Produits retirés
catalogue_withdrawn_hint = Les foyers ne voient pas ces produits. Remettez-en un en vente pour le vendre à nouveau.
catalogue_price = Prix
catalogue_vat = TVA
catalogue_step = Commandé par
catalogue_package = livré par colis de
catalogue_stock = Reste en stock
catalogue_origin = Origine
catalogue_certifications = Labels
catalogue_season = Saison
catalogue_all_year = toute l'année
catalogue_edit = Modifier
catalogue_withdraw = Retirer
catalogue_restore = Remettre en vente
catalogue_save = Enregistrer le produit
catalogue_new_title = Nouveau produit
catalogue_edit_title = Modifier un produit
catalogue_is_withdrawn = Ce produit est retiré : les foyers ne le voient pas.

catalogue_field_sku = Code produit
catalogue_field_name = Nom
catalogue_field_description = Description
catalogue_field_unit = Vendu au (à la)
catalogue_field_step = Commandé par multiples de
catalogue_field_package_size = Taille du colis
catalogue_field_price_euro = Prix en euros, par unité
catalogue_field_price_credit = Prix en crédit, par unité
catalogue_field_vat_rate = Taux de TVA (%)
catalogue_field_origin = Origine (ferme, village, vallée)
catalogue_field_certifications = Labels
catalogue_field_season = Mois où il est disponible
catalogue_field_stock = Stock limité
catalogue_field_header = ligne d'en-tête
catalogue_field_line = ligne entière
catalogue_hint_sku = Votre propre code du produit, utilisé quand vous importez à nouveau un fichier. Laissé vide, il est tiré du nom.
catalogue_hint_step = La plus petite quantité qu'un foyer commande, par ex. 0,5 pour un demi-kilo. Vide : une unité entière.
catalogue_hint_package_size = Si vous livrez des colis entiers (un cageot de 5 kg), leur taille en unités ; les commandes sont arrondies au colis. Vide : sans colis.
catalogue_hint_prices = Indiquez un prix en euros, en crédit, ou les deux.
catalogue_hint_stock = Ce que vous pouvez vendre en tout. Vide : illimité.
catalogue_hint_season = Aucun mois coché signifie toute l'année.

catalogue_cert_organic = Agriculture biologique
catalogue_cert_biodynamic = Biodynamie
catalogue_cert_participatory = Système participatif de garantie
catalogue_cert_fair_trade = Commerce équitable
catalogue_cert_designation = Appellation d'origine protégée

catalogue_month_1 = janvier
catalogue_month_2 = février
catalogue_month_3 = mars
catalogue_month_4 = avril
catalogue_month_5 = mai
catalogue_month_6 = juin
catalogue_month_7 = juillet
catalogue_month_8 = août
catalogue_month_9 = septembre
catalogue_month_10 = octobre
catalogue_month_11 = novembre
catalogue_month_12 = décembre

catalogue_photo = Photo
catalogue_photo_current = La photo actuelle du produit
catalogue_photo_file = Photo du produit
catalogue_photo_hint = Une image JPEG, PNG ou WebP de { $count } Ko au plus.
catalogue_photo_upload = Envoyer la photo

catalogue_files = Fichiers du catalogue
catalogue_export_intro = Téléchargez le catalogue pour l'ouvrir dans un tableur ou l'importer dans un autre outil d'achat (GASdotto lit le GDXP).
catalogue_export_gdxp = Télécharger en GDXP (JSON)
catalogue_export_csv = Télécharger en CSV (tableur)
catalogue_import_file = Importer un fichier de catalogue
catalogue_import_hint = Un fichier GDXP (.json) ou CSV de 10 Mo au plus. Les produits dont le code est déjà dans votre catalogue sont remplacés, les autres ajoutés. Si une ligne est fausse, rien n'est importé.
catalogue_import = Importer
catalogue_import_refused = Le fichier n'a pas été importé : rien n'a changé dans votre catalogue. Corrigez ces problèmes et importez-le à nouveau.
catalogue_problem_line = Ligne { $line } ({ $field })
catalogue_problem_file = Le fichier

catalogue_done_added = Le produit a été ajouté.
catalogue_done_changed = Le produit a été enregistré.
catalogue_done_withdrawn = Le produit a été retiré : les foyers ne le voient plus.
catalogue_done_restored = Le produit est de nouveau en vente.
catalogue_done_photo = La photo a été enregistrée.
catalogue_done_import = Catalogue importé : { $added } ajouté(s), { $updated } remplacé(s).
catalogue_done_skipped = { $count } produit(s) marqué(s) comme non commandables dans le fichier ont été laissés de côté.
catalogue_more_problems = { $count ->
    [one] et 1 autre problème.
   *[other] et { $count } autres problèmes.
}

catalogue_sku_taken = Un autre produit de votre catalogue a déjà ce code.
catalogue_full = Le catalogue est plein (5 000 produits au plus).
catalogue_photo_missing = Choisissez une photo à envoyer.
catalogue_photo_too_large = La photo est trop lourde : 1 Mo au plus.
catalogue_photo_type = Ce fichier n'est pas une image JPEG, PNG ou WebP.
catalogue_file_missing = Choisissez un fichier à importer.
catalogue_file_too_large = Le fichier est trop lourd : 10 Mo au plus.
catalogue_not_text = Ce fichier n'est pas du texte (UTF-8) : enregistrez-le en CSV ou en GDXP.
catalogue_no_products = Le fichier ne contient aucun produit.
catalogue_one_supplier = Le fichier GDXP doit contenir le catalogue d'un seul fournisseur.

## Codes d'erreur des produits et des fichiers de catalogue (formulaires, CSV et GDXP)

bad_product_name = Donnez un nom au produit (120 caractères au plus).
bad_unit = Choisissez une unité : kilo, pièce, litre ou caisse.
bad_step = Le pas doit être une quantité positive avec 3 décimales au plus.
step_not_whole = Pièces et caisses se commandent entières : le pas doit être un nombre entier.
bad_package_size = La taille du colis doit être un multiple positif du pas.
bad_price = Le prix doit être un montant positif avec 2 décimales au plus (ou les décimales du crédit).
price_missing = Indiquez un prix en euros ou en crédit.
bad_vat_rate = Le taux de TVA doit être un pourcentage entre 0 et 50, avec 2 décimales au plus.
text_too_long = La description ou l'origine est trop longue (2 000 caractères au plus).
bad_certification = Label inconnu.
bad_season = Mois inconnu dans la saison.
bad_stock = Le stock doit être une quantité nulle ou positive, avec 3 décimales au plus.
stock_with_packages = Un produit à stock limité ne peut pas aussi être livré par colis.
bad_sku = Le code produit est trop long (64 caractères au plus).
duplicate_sku = Ce code produit apparaît deux fois dans le fichier.
not_json = Ce fichier n'est pas du JSON valide.
not_gdxp = Ce fichier JSON n'est pas un catalogue GDXP.
unsupported_gdxp_version = Cette version de GDXP n'est pas prise en charge (la version 1 l'est).
too_many_suppliers = Le fichier contient trop de fournisseurs.
supplier_missing = Un bloc du fichier n'a pas de fournisseur.
bad_supplier_name = Le nom du fournisseur manque ou est trop long.
bad_vat_number = Le numéro de TVA du fournisseur n'est pas valide.
bad_tax_code = Le code fiscal du fournisseur n'est pas valide.
products_missing = Le fournisseur n'a pas de liste de produits.
too_many_products = Le fichier contient trop de produits (5 000 au plus).
bad_product = Ce produit n'est pas un produit GDXP valide.
bad_description = La description du produit n'est pas du texte.
bad_extension = Les précisions Distretto de ce produit ne sont pas valides.
missing_header = Le fichier est vide : la première ligne doit nommer les colonnes.
bad_header = La première ligne doit nommer chaque colonne une fois : sku, name, description, unit, step, package_size, price_euro, price_credit, vat_rate, origin, certifications, season, stock.
malformed_line = Cette ligne est illisible (vérifiez ses guillemets).
wrong_field_count = Cette ligne n'a pas une valeur par colonne.
bad_coordinates = Les coordonnées sont la latitude puis la longitude en degrés, par ex. 45.07, 7.68.

## Points de retrait

pickup_title = Points de retrait
pickup_my_groups = Vos groupements d'achat
pickup_intro = Là où les foyers du groupement retirent leurs commandes.
pickup_none = Ce groupement n'a encore aucun point de retrait.
pickup_coordinates = Coordonnées
pickup_withdraw = Retirer
pickup_add_title = Ajouter un point de retrait
pickup_add = Ajouter le point de retrait
pickup_field_name = Nom
pickup_field_address = Adresse
pickup_field_coordinates = Coordonnées (facultatif)
pickup_hint_coordinates = Latitude et longitude telles qu'une carte les montre, par ex. 45.07, 7.68.
pickup_done_added = Le point de retrait a été ajouté.
pickup_done_withdrawn = Le point de retrait a été retiré.
pickup_bad_name = Donnez un nom au point de retrait (120 caractères au plus).
pickup_bad_address = Indiquez l'adresse du point de retrait (300 caractères au plus).
pickup_too_many = Le groupement a trop de points de retrait (200 au plus).

## Acquisti solidali: la pagina iniziale, i listini dei produttori e i punti di consegna dei GAS

purchasing_intro = Comprate insieme dalle aziende agricole e dai produttori del distretto: sfogliate i loro listini e trovate dove il vostro GAS distribuisce gli ordini.

catalogue_mine = I listini che gestite
catalogue_producers = Listini dei produttori
catalogue_no_producers = Nessun produttore ha ancora pubblicato un listino.
catalogue_product_count = { $count ->
    [one] 1 prodotto
   *[other] { $count } prodotti
}
catalogue_title = Listino
catalogue_breadcrumbs = Dove siete
catalogue_profile = La scheda del produttore
catalogue_add = Aggiungi un prodotto
catalogue_products = Prodotti
catalogue_empty = Questo listino non ha ancora prodotti.
catalogue_withdrawn = Prodotti ritirati
catalogue_withdrawn_hint = Le famiglie non vedono questi prodotti. Rimettetene uno in vendita per venderlo di nuovo.
catalogue_price = Prezzo
catalogue_vat = IVA
catalogue_step = Si ordina a
catalogue_package = consegnato in confezioni da
catalogue_stock = Disponibilità residua
catalogue_origin = Provenienza
catalogue_certifications = Certificazioni
catalogue_season = Stagione
catalogue_all_year = tutto l'anno
catalogue_edit = Modifica
catalogue_withdraw = Ritira
catalogue_restore = Rimetti in vendita
catalogue_save = Salva il prodotto
catalogue_new_title = Nuovo prodotto
catalogue_edit_title = Modifica un prodotto
catalogue_is_withdrawn = Questo prodotto è ritirato: le famiglie non lo vedono.

catalogue_field_sku = Codice prodotto
catalogue_field_name = Nome
catalogue_field_description = Descrizione
catalogue_field_unit = Venduto a
catalogue_field_step = Si ordina a multipli di
catalogue_field_package_size = Dimensione della confezione
catalogue_field_price_euro = Prezzo in euro, per unità
catalogue_field_price_credit = Prezzo in credito, per unità
catalogue_field_vat_rate = Aliquota IVA (%)
catalogue_field_origin = Provenienza (azienda, paese, valle)
catalogue_field_certifications = Certificazioni
catalogue_field_season = Mesi in cui è disponibile
catalogue_field_stock = Disponibilità limitata
catalogue_field_header = riga di intestazione
catalogue_field_line = riga intera
catalogue_hint_sku = Il vostro codice del prodotto, usato quando importate di nuovo un file. Se vuoto, lo ricaviamo dal nome.
catalogue_hint_step = La quantità minima che una famiglia ordina, per es. 0,5 per mezzo chilo. Vuoto: un'unità intera.
catalogue_hint_package_size = Se consegnate confezioni intere (una cassetta da 5 kg), la loro dimensione in unità; gli ordini si arrotondano alla confezione. Vuoto: senza confezione.
catalogue_hint_prices = Indicate un prezzo in euro, in credito o entrambi.
catalogue_hint_stock = Quanto potete vendere in tutto. Vuoto: illimitata.
catalogue_hint_season = Nessun mese spuntato vuol dire tutto l'anno.

catalogue_cert_organic = Biologico
catalogue_cert_biodynamic = Biodinamico
catalogue_cert_participatory = Garanzia partecipata
catalogue_cert_fair_trade = Commercio equo e solidale
catalogue_cert_designation = Denominazione di origine protetta

catalogue_month_1 = gennaio
catalogue_month_2 = febbraio
catalogue_month_3 = marzo
catalogue_month_4 = aprile
catalogue_month_5 = maggio
catalogue_month_6 = giugno
catalogue_month_7 = luglio
catalogue_month_8 = agosto
catalogue_month_9 = settembre
catalogue_month_10 = ottobre
catalogue_month_11 = novembre
catalogue_month_12 = dicembre

catalogue_photo = Foto
catalogue_photo_current = La foto attuale del prodotto
catalogue_photo_file = Foto del prodotto
catalogue_photo_hint = Un'immagine JPEG, PNG o WebP di al massimo { $count } KB.
catalogue_photo_upload = Carica la foto

catalogue_files = File del listino
catalogue_export_intro = Scaricate il listino per aprirlo in un foglio di calcolo o importarlo in un altro gestionale per GAS (GASdotto legge il GDXP).
catalogue_export_gdxp = Scarica in GDXP (JSON)
catalogue_export_csv = Scarica in CSV (foglio di calcolo)
catalogue_import_file = Importa un file di listino
catalogue_import_hint = Un file GDXP (.json) o CSV di al massimo 10 MB. I prodotti il cui codice è già nel listino vengono sostituiti, gli altri aggiunti. Se una riga è sbagliata, non si importa nulla.
catalogue_import = Importa
catalogue_import_refused = Il file non è stato importato: nel vostro listino non è cambiato nulla. Correggete questi problemi e importatelo di nuovo.
catalogue_problem_line = Riga { $line } ({ $field })
catalogue_problem_file = Il file

catalogue_done_added = Il prodotto è stato aggiunto.
catalogue_done_changed = Il prodotto è stato salvato.
catalogue_done_withdrawn = Il prodotto è stato ritirato: le famiglie non lo vedono più.
catalogue_done_restored = Il prodotto è di nuovo in vendita.
catalogue_done_photo = La foto è stata salvata.
catalogue_done_import = Listino importato: { $added } aggiunti, { $updated } sostituiti.
catalogue_done_skipped = { $count } prodotti indicati come non ordinabili nel file sono stati tralasciati.
catalogue_more_problems = { $count ->
    [one] e un altro problema.
   *[other] e altri { $count } problemi.
}

catalogue_sku_taken = Un altro prodotto del vostro listino ha già questo codice.
catalogue_full = Il listino è pieno (al massimo 5.000 prodotti).
catalogue_photo_missing = Scegliete una foto da caricare.
catalogue_photo_too_large = La foto è troppo grande: al massimo 1 MB.
catalogue_photo_type = Questo file non è un'immagine JPEG, PNG o WebP.
catalogue_file_missing = Scegliete un file da importare.
catalogue_file_too_large = Il file è troppo grande: al massimo 10 MB.
catalogue_not_text = Questo file non è testo (UTF-8): salvatelo come CSV o GDXP.
catalogue_no_products = Il file non contiene prodotti.
catalogue_one_supplier = Il file GDXP deve contenere il listino di un solo fornitore.

## Codici di errore dei prodotti e dei file di listino (moduli, CSV e GDXP)

bad_product_name = Date un nome al prodotto (al massimo 120 caratteri).
bad_unit = Scegliete un'unità: chilo, pezzo, litro o cassetta.
bad_step = Il passo deve essere una quantità positiva con al massimo 3 decimali.
step_not_whole = Pezzi e cassette si ordinano interi: il passo deve essere un numero intero.
bad_package_size = La dimensione della confezione deve essere un multiplo positivo del passo.
bad_price = Il prezzo deve essere un importo positivo con al massimo 2 decimali (o i decimali del credito).
price_missing = Indicate un prezzo in euro o in credito.
bad_vat_rate = L'aliquota IVA deve essere una percentuale tra 0 e 50, con al massimo 2 decimali.
text_too_long = La descrizione o la provenienza è troppo lunga (al massimo 2.000 caratteri).
bad_certification = Certificazione sconosciuta.
bad_season = Mese sconosciuto nella stagione.
bad_stock = La disponibilità deve essere una quantità pari a zero o più, con al massimo 3 decimali.
stock_with_packages = Un prodotto a disponibilità limitata non può essere consegnato anche in confezioni.
bad_sku = Il codice prodotto è troppo lungo (al massimo 64 caratteri).
duplicate_sku = Questo codice prodotto compare due volte nel file.
not_json = Questo file non è JSON valido.
not_gdxp = Questo file JSON non è un listino GDXP.
unsupported_gdxp_version = Questa versione di GDXP non è supportata (la versione 1 sì).
too_many_suppliers = Il file contiene troppi fornitori.
supplier_missing = Un blocco del file non ha fornitore.
bad_supplier_name = Il nome del fornitore manca o è troppo lungo.
bad_vat_number = La partita IVA del fornitore non è valida.
bad_tax_code = Il codice fiscale del fornitore non è valido.
products_missing = Il fornitore non ha un elenco di prodotti.
too_many_products = Il file contiene troppi prodotti (al massimo 5.000).
bad_product = Questo prodotto non è un prodotto GDXP valido.
bad_description = La descrizione del prodotto non è testo.
bad_extension = I dettagli Distretto di questo prodotto non sono validi.
missing_header = Il file è vuoto: la prima riga deve nominare le colonne.
bad_header = La prima riga deve nominare ogni colonna una volta: sku, name, description, unit, step, package_size, price_euro, price_credit, vat_rate, origin, certifications, season, stock.
malformed_line = Questa riga non si legge (controllate le virgolette).
wrong_field_count = Questa riga non ha un valore per colonna.
bad_coordinates = Le coordinate sono latitudine e poi longitudine in gradi, per es. 45.07, 7.68.

## Punti di consegna

pickup_title = Punti di consegna
pickup_my_groups = I vostri GAS
pickup_intro = Dove le famiglie del GAS ritirano i loro ordini.
pickup_none = Questo GAS non ha ancora punti di consegna.
pickup_coordinates = Coordinate
pickup_withdraw = Ritira
pickup_add_title = Aggiungi un punto di consegna
pickup_add = Aggiungi il punto di consegna
pickup_field_name = Nome
pickup_field_address = Indirizzo
pickup_field_coordinates = Coordinate (facoltative)
pickup_hint_coordinates = Latitudine e longitudine come le mostra una mappa, per es. 45.07, 7.68.
pickup_done_added = Il punto di consegna è stato aggiunto.
pickup_done_withdrawn = Il punto di consegna è stato ritirato.
pickup_bad_name = Date un nome al punto di consegna (al massimo 120 caratteri).
pickup_bad_address = Indicate l'indirizzo del punto di consegna (al massimo 300 caratteri).
pickup_too_many = Il GAS ha troppi punti di consegna (al massimo 200).

# Distretto — italiano. Gli identificativi dei messaggi sono condivisi da codice, modelli e codici di errore dell'API.

## Layout
skip_to_content = Vai al contenuto
nav_main = Menu principale
nav_directory = Elenco dei soci
nav_map = Mappa
nav_market = Scambi
nav_me = Il mio profilo
nav_coordination = Coordinamento
nav_sign_in = Accedi
nav_sign_out = Esci
nav_register = Aderisci
nav_language = Lingua
footer_open_data = Dati aperti:
breadcrumbs = Ti trovi qui
pagination = Pagine
previous_page = Pagina precedente
next_page = Pagina successiva
back_home = Torna alla pagina iniziale
nothing_yet = Ancora niente.
any = Qualsiasi
choose = Scegli…
save = Salva
cancel = Annulla

## Home
home_title = Home
home_intro = Le cooperative, le aziende agricole, le imprese sociali, le associazioni e i GAS del nostro distretto: trovali, unisciti a loro, scambia e decidi insieme.
home_at_a_glance = Il distretto in breve
home_workers_fte = Posti di lavoro (equivalenti a tempo pieno):
home_recent_members = Nuovi soci
home_recent_activity = Attività recenti
activity_admitted = ha aderito al distretto il
organizations_count = { $count ->
    [one] { $count } organizzazione socia
   *[other] { $count } organizzazioni socie
}

## Directory and map
directory_title = Elenco dei soci
directory_search = Cerca per nome, descrizione o luogo
directory_place = Luogo
directory_apply_filters = Cerca
directory_show_map = Mostra sulla mappa
directory_no_results = Nessuna organizzazione corrisponde. Prova con meno parole o con altri filtri.
map_title = Mappa dei soci
map_label = Mappa delle organizzazioni socie
map_fallback_list = Vedi i soci in un elenco
map_needs_js = La mappa richiede JavaScript; l'elenco funziona ovunque.

## Organisation profile
org_status_label = Stato:
org_charter = Carta del distretto
org_charter_signed = Firmata, versione
org_charter_not_signed = Non ancora firmata
org_where = Dove trovarci
org_members = Soci
org_actions = Azioni
org_murmurations = Profilo in dati aperti (Murmurations)
org_apply_to_join = Chiedi di entrare in questa organizzazione
org_edit = Modifica il profilo
org_invite = Crea un link di invito
org_invitation_link = Condividi questo link con un collega o una collega (valido 14 giorni, una sola volta):

## Fields
field_org_name = Nome dell'organizzazione
field_kind = Tipo di organizzazione
field_legal_form = Forma giuridica
field_sector = Settore
field_description = Descrizione
field_website = Sito web
field_contact_email = E-mail di contatto
field_phone = Telefono
field_address = Indirizzo
field_postcode = CAP
field_locality = Comune
field_lat = Latitudine
field_lon = Longitudine
field_founded_year = Anno di fondazione
field_workers_fte = Posti di lavoro (equivalenti a tempo pieno)
field_volunteers = Volontari
field_person_name = Il tuo nome
field_email = E-mail
field_password = Password
field_locale = Lingua preferita
field_bio = Qualche parola su di te
field_message = Un messaggio per il coordinamento
field_reason = Motivazione (conservata nel registro delle decisioni)
hint_position = Gradi decimali, per esempio 45,737 e 7,320. Lascia vuoti entrambi i campi se preferisci non comparire sulla mappa.
hint_password = Almeno 10 caratteri. La cosa migliore è una frase che ricordi.

## Accounts and profile
register_title = Aderisci al distretto
register_intro = Crea il tuo account, poi dicci come vuoi aderire: da solo/a, con la tua organizzazione o con una nuova.
register_submit = Crea il mio account
register_have_account = Hai già un account?
sign_in_submit = Accedi
sign_in_no_account = Non hai ancora un account?
me_membership = Adesione
me_roles = Ruoli
me_apply = Chiedi di aderire al distretto
me_organizations = Le mie organizzazioni
me_applications = Le mie domande
me_accounts = I miei conti
me_no_account = Il tuo conto si apre quando la tua adesione viene accolta.
me_account_personal = personale
me_account_shared = organizzazione o condiviso
me_edit_profile = Modifica il mio profilo

## Applying
apply_title = Domanda di adesione
apply_intro = Il coordinamento legge ogni domanda e risponde motivando la decisione.
apply_how = Come vuoi aderire?
apply_existing_hint = Per entrare in un'organizzazione che è già socia, apri la sua pagina nell'elenco dei soci e scegli "Chiedi di entrare in questa organizzazione".
apply_new_org_legend = La tua nuova organizzazione
apply_new_org_hint = Compila questa parte solo se porti una nuova organizzazione.
apply_submit = Invia la mia domanda
application_individual = Come persona singola
application_new_organization = Con una nuova organizzazione
application_existing_organization = In un'organizzazione già socia del distretto

## Coordination
applications_title = Domande di adesione
applications_filter = Filtra le domande
applications_count = { $count ->
    [one] { $count } domanda
   *[other] { $count } domande
}
decision_legend = Decisione
decision_admit = Ammetti
decision_reject = Respingi
decision_suspend = Sospendi
decision_reinstate = Riammetti
decision_record = Registra la decisione
decisions_title = Registro delle decisioni
decisions_count = { $count ->
    [one] { $count } decisione
   *[other] { $count } decisioni
}
col_when = Quando
col_subject = Chi
col_decision = Decisione
col_by = Deciso da
people_title = Persone
people_search = Cerca per nome o e-mail
people_count = { $count ->
    [one] { $count } persona
   *[other] { $count } persone
}
notice_saved = Salvato.
notice_decision_recorded = La decisione è registrata e annotata nel registro.
notice_status_changed = Lo stato è cambiato ed è annotato nel registro.
notice_application_sent = La tua domanda è stata inviata. Il coordinamento ti risponderà con una motivazione.
notice_joined = Benvenuto/a: ora fai parte di questa organizzazione.

## Invitations
invitation_title = Invito
invitation_to = Sei invitato/a a entrare in
invitation_accept = Accetta ed entra
invitation_sign_in_first = Prima accedi o crea un account, poi torna a questo link.

## Vocabularies
kind_worker_coop = Cooperativa di lavoro
kind_consumer_coop = Cooperativa di consumo
kind_producer_coop = Cooperativa di produttori
kind_multi_stakeholder_coop = Cooperativa multistakeholder
kind_social_enterprise = Impresa sociale
kind_association = Associazione
kind_community_group = Gruppo informale
kind_farm = Azienda agricola
kind_purchasing_group = Gruppo di acquisto solidale (GAS)
kind_public_partner = Ente pubblico
sector_agriculture = Agricoltura
sector_food_processing = Trasformazione alimentare
sector_retail = Negozi e commercio
sector_crafts = Artigianato
sector_construction = Edilizia e ristrutturazioni
sector_energy = Energia
sector_housing = Abitare
sector_mobility = Mobilità e trasporti
sector_health = Salute
sector_social_care = Servizi sociali e di cura
sector_education = Istruzione e formazione
sector_culture = Cultura e tempo libero
sector_finance = Finanza etica
sector_digital = Servizi digitali
sector_recycling = Riparazione, riuso e riciclo
sector_textiles = Tessile e abbigliamento
sector_tourism = Turismo sostenibile
sector_hospitality = Ristorazione
sector_professional_services = Servizi professionali
sector_public_administration = Pubblica amministrazione
status_pending = In attesa di decisione
status_active = Socio/a
status_suspended = Sospeso/a
status_rejected = Non ammesso/a
status_registered = Registrato/a, non ancora socio/a
status_member = Socio/a
status_admitted = Ammesso/a
role_person = Persona
role_coordinator = Coordinatore/coordinatrice
role_administrator = Amministratore/amministratrice
role_organization_admin = Admin dell'organizzazione
role_admin = Admin
role_member = Socio/a

## Errors (ids are the API's stable error codes)
error_title = Qualcosa è andato storto
error_status = Codice di errore
not_found = Questa pagina o questo elemento non esiste, oppure non hai il permesso di vederlo.
unauthenticated = Accedi per continuare.
forbidden = Non hai il permesso di farlo.
internal_error = Qualcosa è andato storto da parte nostra. Lo abbiamo registrato; riprova più tardi.
invalid_json = Il corpo della richiesta non è un JSON valido per questa operazione.
invalid_query = L'indirizzo contiene un parametro che non capiamo.
invalid_form = Non è stato possibile leggere il modulo. Ricarica la pagina e riprova.
invalid_token = Il tuo token di accesso non è valido o è scaduto.
payload_too_large = Quello che hai inviato è troppo grande.
unsupported_media_type = Invia il corpo in JSON (Content-Type: application/json).
method_not_allowed = Questa azione non è possibile qui.
request_timeout = Ci è voluto troppo tempo. Riprova.
csrf_failed = Questo modulo è scaduto o non proviene da questo sito. Ricarica la pagina e riprova.
conflict = Questo è in conflitto con qualcosa che esiste già.
too_many_attempts = Troppi accessi non riusciti. Aspetta 15 minuti e riprova.
invalid_credentials = L'e-mail o la password non sono corrette.
account_suspended = Questo account è sospeso. Contatta il coordinamento.
email_taken = Esiste già un account con questa e-mail. Prova ad accedere.
weak_password = La password deve avere almeno 10 caratteri.
invalid_email = Questo indirizzo e-mail non sembra corretto.
invalid_person_name = Scrivi un nome di al massimo 120 caratteri.
invalid_name = Il nome dell'organizzazione deve avere da 2 a 160 caratteri.
invalid_kind = Scegli un tipo di organizzazione dall'elenco.
invalid_sector = Scegli un settore dall'elenco.
invalid_legal_form = La forma giuridica è troppo lunga.
invalid_description = La descrizione è troppo lunga (al massimo 5.000 caratteri).
invalid_website = Il sito web deve iniziare con http:// o https://.
invalid_phone = Questo numero di telefono non sembra corretto.
invalid_address = L'indirizzo è troppo lungo.
invalid_postcode = Il CAP è troppo lungo.
invalid_locality = Il nome del comune è troppo lungo.
invalid_position = Indica sia la latitudine (da −90 a 90) sia la longitudine (da −180 a 180), oppure nessuna delle due.
invalid_founded_year = L'anno di fondazione deve essere tra il 1800 e il 2100.
invalid_workers_fte = Indica i posti di lavoro con un numero come 3 o 2,5 (al massimo due decimali).
invalid_volunteers = Indica i volontari con un numero intero.
invalid_limit = La dimensione della pagina deve essere tra 1 e 500.
invalid_offset = Lo scostamento della pagina è troppo grande.
invalid_locale = Scegli francese, italiano o inglese.
invalid_bio = La presentazione è troppo lunga (al massimo 2.000 caratteri).
invalid_status = Stato sconosciuto.
invalid_application_kind = Scegli come vuoi aderire.
organization_required = Scegli un'organizzazione socia del distretto.
already_member = Sei già socio/a.
already_applied = La tua domanda è già in attesa di decisione.
application_already_decided = Su questa domanda è già stata presa una decisione.
invalid_decision = Decisione sconosciuta.
invalid_status_change = Questo cambio di stato non è possibile adesso.
reason_required = Indica una motivazione (almeno 3 caratteri).
cannot_decide_on_self = Non puoi decidere sulla tua adesione.
invitation_expired = Questo invito è scaduto o è già stato usato.

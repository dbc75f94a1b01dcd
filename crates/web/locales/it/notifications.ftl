# Notifiche degli eventi della governance.
notifications_title = Notifiche
notifications_mark_read = Segna tutto come letto
notifications_none = Ancora niente.
notifications_new = nuovo
notification_deliberation_subject = In discussione: { $title }
notification_deliberation_body = Una proposta di { $body } è aperta alla discussione: commentala e proponi emendamenti prima del voto.
notification_voting_subject = Votazione aperta: { $title }
notification_voting_body = La votazione su una proposta di { $body } è aperta: il tuo voto conta.
notification_result_subject = Risultato: { $title }
notification_result_body = La votazione su una proposta di { $body } è chiusa: guarda il risultato.
notifications_unread = { $count ->
    [0] Nessuna notifica da leggere
    [one] Una notifica da leggere
   *[other] { $count } notifiche da leggere
}
notification_market_match_subject = Un abbinamento per il tuo annuncio: { $title }
notification_market_match_body = Un nuovo annuncio negli scambi potrebbe rispondere al tuo: { $title }.

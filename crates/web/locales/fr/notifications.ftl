# Notifications des événements de la gouvernance.
notifications_title = Notifications
notifications_mark_read = Tout marquer comme lu
notifications_none = Rien pour l’instant.
notifications_new = nouveau
notification_deliberation_subject = En délibération : { $title }
notification_deliberation_body = Une proposition de { $body } est ouverte à la délibération : commentez-la et proposez des amendements avant le vote.
notification_voting_subject = Vote ouvert : { $title }
notification_voting_body = Le vote sur une proposition de { $body } est ouvert : votre voix compte.
notification_result_subject = Résultat : { $title }
notification_result_body = Le vote sur une proposition de { $body } est clos : voyez son résultat.
notifications_unread = { $count ->
    [0] Aucune notification non lue
    [one] Une notification non lue
   *[other] { $count } notifications non lues
}
notification_market_match_subject = Une correspondance pour votre annonce : { $title }
notification_market_match_body = Une nouvelle annonce des échanges pourrait répondre à la vôtre : { $title }.

// Messages en français.

import type { Catalogue } from "./eng";

export const fra: Catalogue = {
  "app.name": "Enrol",
  "app.tagline": "Client d'enregistrement",
  "language.label": "Langue",
  "nav.logout": "Se déconnecter",
  "nav.signedInAs": "Connecté : {name}",
  "loading": "Chargement…",

  "firstRun.title": "Configurer ce poste",
  "firstRun.intro":
    "Aucune donnée n'est encore enregistrée sur ce poste. Indiquez son identité et créez le premier superviseur, qui ajoutera ensuite les opérateurs.",
  "firstRun.machineSection": "Poste et centre",
  "firstRun.machineId": "Identifiant du poste",
  "firstRun.centreId": "Identifiant du centre",
  "firstRun.idHint": "5 chiffres",
  "firstRun.centreName": "Nom du centre",
  "firstRun.supervisorSection": "Premier superviseur",
  "firstRun.supervisorId": "Identifiant du superviseur",
  "firstRun.supervisorIdHint": "Lettres, chiffres, « . », « _ » ou « - »",
  "firstRun.supervisorName": "Nom complet",
  "firstRun.password": "Mot de passe",
  "firstRun.passwordHint": "Au moins 8 caractères",
  "firstRun.confirmPassword": "Confirmer le mot de passe",
  "firstRun.submit": "Configurer le poste",
  "firstRun.working": "Configuration : création des clés et du stockage chiffré…",

  "login.title": "Connexion",
  "login.intro": "Votre mot de passe déverrouille le stockage chiffré de ce poste ; aucun réseau n'est nécessaire.",
  "login.operatorId": "Identifiant",
  "login.password": "Mot de passe",
  "login.submit": "Se connecter",
  "login.working": "Vérification…",

  "home.welcome": "Bienvenue, {name}",
  "home.roles": "Rôles : {roles}",
  "home.summary": "Résumé",
  "home.pendingApproval": "En attente d'approbation",
  "home.oldestPending": "La plus ancienne attend depuis le {date}",
  "home.unexported": "Approuvés, pas encore envoyés ni exportés",
  "home.lastSync": "Dernière synchronisation (ou configuration, si jamais synchronisé)",
  "home.lastExport": "Dernier envoi ou export",
  "home.none": "Aucun pour l'instant",
  "home.registrationStatus": "État des enregistrements",
  "home.registrationsOpen": "Les nouveaux enregistrements sont autorisés.",
  "home.registrationsFrozen": "Les nouveaux enregistrements sont bloqués",
  "home.notRegistering": "Votre rôle n'enregistre pas de résidents.",
  "home.refresh": "Actualiser",

  "role.operator": "opérateur",
  "role.supervisor": "superviseur",
  "role.administrator": "administrateur",

  "freeze.sync_overdue":
    "La dernière synchronisation date de {days} jours (limite {limit}). Synchronisez pour continuer à enregistrer.",
  "freeze.too_many_pending_approval":
    "{count} enregistrements attendent une approbation (limite {limit}). Un superviseur doit les approuver ou les rejeter.",
  "freeze.pending_approval_too_old":
    "Le plus ancien enregistrement attend une approbation depuis {days} jours (limite {limit}). Un superviseur doit l'examiner.",
  "freeze.too_many_unexported":
    "{count} paquets approuvés ne sont ni envoyés ni exportés (limite {limit}). Synchronisez ou exportez-les.",
  "freeze.export_overdue":
    "Des paquets approuvés attendent l'envoi ou l'export depuis {days} jours (limite {limit}). Synchronisez ou exportez-les.",

  "error.details": "Détails : {detail}",
  "error.UNKNOWN": "Une erreur s'est produite (code {code}).",
  "error.IPC": "L'application ne joint pas son noyau. Redémarrez-la ; si cela persiste, contactez l'assistance.",
  "error.PASSWORD_MISMATCH": "Les deux mots de passe ne correspondent pas.",
  "error.NOT_INITIALISED": "Ce poste n'est pas encore configuré.",
  "error.ALREADY_INITIALISED": "Ce poste est déjà configuré. Connectez-vous.",
  "error.STORE_WRONG_KEY": "Le stockage chiffré ne s'ouvre pas avec cette clé.",
  "error.STORE_CORRUPT": "Le stockage chiffré est endommagé. Contactez l'assistance avant toute autre action.",
  "error.DISK_FULL": "Le disque est plein : rien n'a été enregistré. Libérez de l'espace et réessayez.",
  "error.STORE_DATABASE": "Le stockage chiffré a signalé une erreur. Réessayez ; si cela persiste, contactez l'assistance.",
  "error.IO": "Un fichier n'a pas pu être lu ou écrit. Vérifiez le disque et réessayez.",
  "error.KEYRING_MALFORMED": "Le fichier des emplacements de clés est endommagé. Contactez l'assistance.",
  "error.AUTH_WRONG_PASSWORD": "Identifiant ou mot de passe incorrect.",
  "error.AUTH_LOCKED": "Trop de tentatives échouées : ce compte est verrouillé jusqu'à {until}.",
  "error.AUTH_DEACTIVATED": "Ce compte est désactivé. Adressez-vous à un superviseur.",
  "error.OPERATOR_UNKNOWN": "Cet utilisateur n'existe pas.",
  "error.OPERATOR_EXISTS": "Un utilisateur avec cet identifiant existe déjà.",
  "error.AUTH_SESSION_EXPIRED": "Vous avez été déconnecté après une période d'inactivité. Reconnectez-vous.",
  "error.AUTH_NO_SESSION": "Vous n'êtes pas connecté.",
  "error.AUTH_FORBIDDEN": "Votre rôle ne permet pas cette action.",
  "error.INVALID_INPUT": "Une valeur n'a pas été acceptée.",
  "error.ENROLMENT_FILE": "Le fichier d'enrôlement du poste est inutilisable.",
  "error.CRYPTO": "Une opération cryptographique a échoué. Contactez l'assistance.",
  "error.SERVER_UNREACHABLE": "Le serveur de synchronisation est injoignable. Vérifiez le réseau et l'adresse du serveur, puis réessayez.",
  "error.SERVER_REFUSED": "Le serveur de synchronisation a refusé la demande.",
  "error.SERVER_ANSWER_INVALID": "La réponse du serveur de synchronisation est inutilisable. Contactez l'assistance.",
  "error.ONBOARDING_CODE_INVALID": "Le code d'enrôlement est erroné, déjà utilisé ou expiré. Demandez-en un nouveau à l'administrateur.",
  "error.LOGIN_NEEDS_SERVER": "Votre première connexion sur ce poste doit être confirmée par le serveur de synchronisation, qui est injoignable. Connectez le poste et réessayez.",
  "error.FREEZE_SYNC_OVERDUE": "Les nouveaux enregistrements sont bloqués : une synchronisation est en retard.",
  "error.FREEZE_PENDING_APPROVAL_COUNT":
    "Les nouveaux enregistrements sont bloqués : trop d'enregistrements attendent une approbation.",
  "error.FREEZE_PENDING_APPROVAL_AGE":
    "Les nouveaux enregistrements sont bloqués : un enregistrement attend une approbation depuis trop longtemps.",
  "error.FREEZE_UNEXPORTED_COUNT":
    "Les nouveaux enregistrements sont bloqués : trop de paquets approuvés ne sont ni envoyés ni exportés.",
  "error.FREEZE_EXPORT_OVERDUE": "Les nouveaux enregistrements sont bloqués : un envoi ou un export est en retard.",
};

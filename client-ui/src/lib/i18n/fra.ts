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

  "start.process": "Type d'enregistrement",
  "start.submit": "Commencer l'enregistrement",
  "start.drafts": "Enregistrements inachevés",
  "start.draftSaved": "enregistré le {date}",
  "start.resume": "Reprendre : {process}",

  "process.NEW": "Nouvel enregistrement",
  "process.UPDATE": "Mise à jour",
  "process.LOST": "Identité perdue",
  "process.BIOMETRIC_CORRECTION": "Correction biométrique",

  "registration.steps": "Étapes de l'enregistrement",
  "registration.close": "Fermer",
  "registration.closeHint":
    "Chaque étape terminée est enregistrée : fermer conserve l'enregistrement dans la liste des enregistrements inachevés.",
  "registration.discard": "Abandonner",
  "registration.confirmDiscard": "Appuyez de nouveau pour abandonner",
  "registration.back": "Précédent",
  "registration.next": "Suivant",
  "registration.saving": "Enregistrement…",
  "registration.updateGroups": "Éléments à mettre à jour",
  "registration.consentText":
    "Les informations et les données biométriques recueillies ici servent uniquement à établir et à protéger votre identité. Elles sont conservées chiffrées et transmises uniquement à l'autorité d'identification.",

  "field.languageLabel": "{field} ({language})",
  "field.inLanguage": "{language} : {message}",
  "field.choose": "Choisir…",
  "field.noChoices": "Choisissez d'abord le niveau supérieur",
  "field.date": "Choisir une date",
  "field.ageYears": "ou âge en années",

  "validation.REQUIRED": "Cette valeur est obligatoire.",
  "validation.TYPE": "Cette valeur n'a pas la bonne forme.",
  "validation.PATTERN": "Cette valeur n'est pas au format attendu.",
  "validation.DATE_INVALID": "Cette date n'existe pas.",
  "validation.DATE_IN_FUTURE": "Une date de naissance ne peut pas être dans le futur.",
  "validation.AGE_OUT_OF_RANGE": "Cet âge n'entre dans aucune tranche d'âge.",
  "validation.NOT_IN_LIST": "Choisissez l'une des valeurs proposées.",
  "validation.LOCATION_MISMATCH": "Ce lieu ne se trouve pas dans celui choisi au-dessus.",
  "validation.UNKNOWN_FIELD": "Ce champ ne fait pas partie du formulaire.",
  "validation.DOCUMENT_REQUIRED": "Ce document est obligatoire.",
  "validation.DOCUMENT_TYPE_INVALID": "Ce type de document n'est pas accepté ici.",
  "validation.BIOMETRIC_REQUIRED": "Capturez chaque donnée biométrique, ou marquez celles qui manquent comme exceptions.",
  "validation.other": "Cette valeur n'a pas été acceptée (code {code}).",

  "units.kilobytes": "{value} ko",
  "units.megabytes": "{value} Mo",

  "document.type": "Type : {field}",
  "document.file": "Fichier : {field}",
  "document.hint": "PDF, JPEG ou PNG, jusqu'à {size}.",
  "document.saving": "Enregistrement du document…",
  "document.attached": "Joint : {type} ({format}).",
  "document.attachedFile": "Joint : {name}, {type} ({format}).",

  "devices.title": "Périphériques biométriques",
  "devices.find": "Rechercher les périphériques",
  "devices.searching": "Recherche…",
  "devices.none":
    "Aucun périphérique biométrique n'a été trouvé. Branchez les périphériques, démarrez leur service, puis appuyez sur Rechercher les périphériques.",
  "devices.kind": "Type",
  "devices.model": "Périphérique",
  "devices.status": "État",
  "devices.trust": "Confiance",
  "devices.port": "port n° {port}",
  "devices.trusted": "De confiance",
  "devices.untrusted": "Non reconnu",

  "modality.Finger": "Empreinte digitale",
  "modality.Iris": "Iris",
  "modality.Face": "Visage",

  "captureGroup.Finger-1": "Main gauche, quatre doigts",
  "captureGroup.Finger-2": "Main droite, quatre doigts",
  "captureGroup.Finger-3": "Les deux pouces",
  "captureGroup.Iris-3": "Les deux iris",
  "captureGroup.Face-0": "Visage",

  "attribute.leftIndex": "Index gauche",
  "attribute.leftMiddle": "Majeur gauche",
  "attribute.leftRing": "Annulaire gauche",
  "attribute.leftLittle": "Auriculaire gauche",
  "attribute.rightIndex": "Index droit",
  "attribute.rightMiddle": "Majeur droit",
  "attribute.rightRing": "Annulaire droit",
  "attribute.rightLittle": "Auriculaire droit",
  "attribute.leftThumb": "Pouce gauche",
  "attribute.rightThumb": "Pouce droit",
  "attribute.leftEye": "Iris gauche",
  "attribute.rightEye": "Iris droit",
  "attribute.face": "Visage",

  "capture.device": "Périphérique pour : {group}",
  "capture.noDevice": "Aucun périphérique de confiance pour cette capture",
  "capture.capture": "Capturer : {group}",
  "capture.captureAgain": "Capturer de nouveau : {group}",
  "capture.capturing": "Capture en cours…",
  "capture.previewAlt": "Aperçu en direct : {group}",
  "capture.previewWaiting": "En attente de l'aperçu du périphérique…",
  "capture.kept": "Capturé : chaque qualité atteint son seuil.",
  "capture.again": "Qualité sous le seuil : capturez de nouveau (tentative {attempt} sur {max}).",
  "capture.forced": "Conservé après {attempts} tentatives, bien que la qualité soit sous le seuil.",
  "capture.allExcepted": "Chaque élément de cette capture est marqué comme exception.",
  "capture.tableCaption": "Qualité et exceptions : {group}",
  "capture.attribute": "Donnée biométrique",
  "capture.quality": "Qualité (seuil)",
  "capture.exception": "Absent ou inutilisable",
  "capture.qualityOf": "{quality} (seuil {threshold})",
  "capture.notCaptured": "Pas encore capturé (seuil {threshold})",
  "capture.forcedTag": "conservé sous le seuil",
  "capture.excepted": "Marqué comme exception",
  "capture.exceptionFor": "{attribute} : absent ou inutilisable",
  "capture.reasonFor": "Motif pour : {attribute}",
  "capture.reason.missing": "Absent",
  "capture.reason.injured": "Blessé ou cicatrisé",
  "capture.reason.other": "Autre",
  "capture.optional": "Facultatif : {field}",
  "capture.proofOfException": "Photo justifiant l'exception",

  "preview.title": "Aperçu et validation",
  "preview.problems": "L'enregistrement n'est pas encore complet :",
  "preview.fix": "Aller à : {field}",

  "summary.values": "Informations du résident",
  "summary.documents": "Pièces justificatives",
  "summary.noDocuments": "Aucun document.",
  "summary.biometrics": "Biométrie",
  "summary.quality": "qualité {quality}",
  "summary.exception": "marqué comme exception ({reason})",
  "summary.yes": "Oui",
  "summary.no": "Non",

  "signOff.title": "Validation",
  "signOff.intro":
    "Vérifiez les informations avec le résident, puis saisissez votre mot de passe pour créer le paquet d'enregistrement.",
  "signOff.introExceptions":
    "Vérifiez les informations avec le résident, puis saisissez votre mot de passe. Les exceptions biométriques demandent aussi l'identifiant et le mot de passe d'un superviseur.",
  "signOff.password": "Votre mot de passe",
  "signOff.supervisor": "Superviseur autorisant les exceptions",
  "signOff.supervisorId": "Identifiant du superviseur",
  "signOff.supervisorPassword": "Mot de passe du superviseur",
  "signOff.submit": "Valider et créer le paquet",
  "signOff.working": "Création du paquet chiffré…",

  "ack.step": "Récépissé",
  "ack.title": "Récépissé d'enregistrement",
  "ack.rid": "Identifiant d'enregistrement (RID)",
  "ack.qr": "Code QR de l'identifiant d'enregistrement",
  "ack.name": "Nom",
  "ack.dateOfBirth": "Date de naissance",
  "ack.registeredAt": "Enregistré le",
  "ack.operator": "Enregistré par",
  "ack.biometrics": "Biométrie",
  "ack.biometricsCount": "{captured} capturées, {exceptions} exceptions",
  "ack.documents": "Pièces justificatives",
  "ack.notice": "Conservez ce récépissé : l'identifiant d'enregistrement permet de suivre votre demande.",
  "ack.print": "Imprimer le récépissé",
  "ack.done": "Retour à l'accueil",

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
  "error.FREEZE_SYNC_OVERDUE": "Les nouveaux enregistrements sont bloqués : une synchronisation est en retard.",
  "error.FREEZE_PENDING_APPROVAL_COUNT":
    "Les nouveaux enregistrements sont bloqués : trop d'enregistrements attendent une approbation.",
  "error.FREEZE_PENDING_APPROVAL_AGE":
    "Les nouveaux enregistrements sont bloqués : un enregistrement attend une approbation depuis trop longtemps.",
  "error.FREEZE_UNEXPORTED_COUNT":
    "Les nouveaux enregistrements sont bloqués : trop de paquets approuvés ne sont ni envoyés ni exportés.",
  "error.FREEZE_EXPORT_OVERDUE": "Les nouveaux enregistrements sont bloqués : un envoi ou un export est en retard.",
  "error.REGISTRATION_INVALID":
    "Certaines valeurs n'ont pas été acceptées : voyez le message à côté de chaque champ. Rien n'a été perdu.",
  "error.REGISTRATION_INCOMPLETE":
    "L'enregistrement n'est pas complet : voyez la liste ci-dessous. Tout ce qui a été saisi est conservé.",
  "error.REGISTRATION_FORM":
    "Le formulaire d'enregistrement de ce poste est inutilisable. Synchronisez pour en recevoir un correct, ou contactez l'assistance.",
  "error.REGISTRATION_UNKNOWN_FIELD":
    "Ce formulaire n'a pas ce champ. Recommencez l'enregistrement ; si cela persiste, contactez l'assistance.",
  "error.BIOMETRIC_ATTRIBUTE_UNKNOWN": "Cette donnée biométrique est inconnue. Contactez l'assistance.",
  "error.BIOMETRIC_ATTRIBUTE_NOT_IN_FIELD": "Ce formulaire ne demande pas cette donnée biométrique.",
  "error.DOCUMENT_FORMAT_UNKNOWN":
    "Le fichier n'est pas un document PDF, JPEG ou PNG. Numérisez-le de nouveau dans l'un de ces formats.",
  "error.DOCUMENT_FORMAT_MISMATCH":
    "Le contenu du fichier ne correspond pas à l'extension de son nom. Choisissez la numérisation d'origine.",
  "error.DOCUMENT_TOO_LARGE": "Le fichier est trop volumineux. Numérisez-le de nouveau à une résolution plus faible.",
  "error.DOCUMENT_TYPE_INVALID": "Ce type de document n'est pas accepté pour ce document.",
  "error.BIOMETRIC_RECORD_INVALID":
    "Le périphérique a renvoyé un enregistrement inutilisable. Capturez de nouveau ; si cela persiste, utilisez un autre périphérique.",
  "error.BIOMETRIC_QUALITY_LOW": "La qualité est sous le seuil : capturez de nouveau.",
  "error.BIOMETRIC_NOTHING_TO_CAPTURE":
    "Il n'y a plus rien à capturer ici : chaque élément est marqué comme exception.",
  "error.BIOMETRIC_CAPTURED_AND_EXCEPTED":
    "Cette donnée biométrique est déjà capturée : elle ne peut pas être marquée comme exception.",
  "error.EXCEPTION_REASON_REQUIRED": "Indiquez le motif de l'exception.",
  "error.EXCEPTION_PROOF_REQUIRED":
    "Les exceptions biométriques demandent une photo justificative : joignez-la sur l'écran de biométrie.",
  "error.EXCEPTION_NOT_AUTHORISED":
    "Les exceptions biométriques doivent être autorisées par un superviseur actif : vérifiez son identifiant et son mot de passe.",
  "error.REGISTRATION_STEP_ORDER": "Une étape précédente n'est pas terminée. Revenez en arrière pour la terminer.",
  "error.DRAFT_NOT_FOUND":
    "Cet enregistrement n'est plus ouvert. Revenez à l'accueil et reprenez-le depuis la liste.",
  "error.DRAFT_DAMAGED": "Cet enregistrement sauvegardé est endommagé et ne peut pas être repris. Abandonnez-le et recommencez.",
  "error.DRAFT_OWNER": "Cet enregistrement a été commencé par un autre opérateur.",
  "error.REGISTRATION_TOO_LARGE": "L'enregistrement est trop volumineux. Joignez des numérisations plus légères.",
  "error.PACKET_UNKNOWN": "Ce paquet d'enregistrement n'existe pas.",
  "error.APPROVAL_NOT_PENDING": "Cet enregistrement n'attend plus de décision.",
  "error.APPROVAL_REASON_REQUIRED": "Un rejet doit être motivé.",
  "error.MANIFEST_PENDING": "Ce paquet attend la décision d'un superviseur.",
  "error.SBI_UNREACHABLE":
    "Le service du périphérique ne répond plus (périphérique débranché ?). Rien de ce qui a été capturé n'est perdu : branchez le périphérique, appuyez sur Rechercher les périphériques, puis capturez de nouveau.",
  "error.SBI_BAD_RESPONSE":
    "Le service du périphérique a répondu de façon inutilisable. Redémarrez-le, puis capturez de nouveau.",
  "error.SBI_SIGNATURE":
    "La signature du périphérique n'est pas valide : ce périphérique ne doit pas être utilisé. Contactez l'assistance.",
  "error.SBI_UNTRUSTED":
    "Le fournisseur de ce périphérique n'est pas reconnu sur ce poste. Demandez à un superviseur d'installer son certificat.",
  "error.SBI_DEVICE_UNUSABLE": "Ce périphérique ne peut pas servir à la capture. Choisissez-en un autre.",
  "error.SBI_NOT_DISCOVERED":
    "Le périphérique n'est plus disponible tel qu'il a été trouvé (débranché ou remplacé). Branchez-le, appuyez sur Rechercher les périphériques, puis capturez de nouveau. Rien de ce qui a été capturé n'est perdu.",
  "error.SBI_HASH_CHAIN": "La capture a échoué au contrôle d'intégrité et n'a pas été conservée. Capturez de nouveau.",
  "error.SBI_TRANSACTION": "Le périphérique a répondu pour une autre capture. Capturez de nouveau.",
  "error.SBI_CAPTURE_MISMATCH": "Le périphérique n'a pas renvoyé ce qui était demandé. Capturez de nouveau.",
  "error.SBI_BUSY": "Le périphérique est occupé par une autre capture. Patientez un instant, puis capturez de nouveau.",
  "error.SBI_NOT_READY":
    "Le périphérique n'est pas prêt (débranché ou en cours de démarrage). Vérifiez-le, appuyez sur Rechercher les périphériques, puis capturez de nouveau.",
  "error.SBI_NOT_REGISTERED": "Le périphérique n'est pas enregistré. Utilisez un périphérique enregistré.",
  "error.SBI_TIMEOUT":
    "Le délai de capture est dépassé. Placez correctement le doigt, l'œil ou le visage, puis capturez de nouveau.",
  "error.SBI_NO_BIOMETRIC":
    "Aucune donnée biométrique n'a été détectée. Placez correctement le doigt, l'œil ou le visage, puis capturez de nouveau.",
  "error.SBI_DEVICE_ERROR":
    "Le périphérique a signalé une erreur (débranché pendant la capture ?). Rien de ce qui a été capturé n'est perdu : vérifiez le périphérique, appuyez sur Rechercher les périphériques, puis capturez de nouveau.",
  "error.SBI_STREAM": "L'aperçu en direct s'est arrêté ; la capture elle-même peut encore réussir.",
  "error.SBI_NO_DEVICE":
    "Aucun périphérique de confiance ne peut faire cette capture. Branchez-en un et appuyez sur Rechercher les périphériques.",
};

"""The daily digest by e-mail: who gets what (`digest`), its words (`render`), SMTP (`mail`)."""

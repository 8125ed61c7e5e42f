"""Page objects: one class per screen, intent methods, role and label locators first."""

"""Evidence sources: locators, folder walking and container formats."""

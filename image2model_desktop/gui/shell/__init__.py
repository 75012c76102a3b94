"""The window around the pages: main window, header, library, notifications, single
instance, watch folder, the local API switch, About."""

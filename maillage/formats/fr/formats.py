"""French formats used everywhere a user reads a date: dd/mm/yyyy and HH:MM."""

DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
TIME_FORMAT = "H:i"
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
#: A time typed where the browser offers no time picker: 08:00, 8:00:00, 19h30, 9h.
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S", "%Hh%M", "%Hh"]
DATETIME_INPUT_FORMATS = ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
NUMBER_GROUPING = 3
THOUSAND_SEPARATOR = "\u202f"
DECIMAL_SEPARATOR = ","
FIRST_DAY_OF_WEEK = 1

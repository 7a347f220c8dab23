"""Building blocks of the course networks, one primitive per file; they import nothing from course_lib
but each other."""

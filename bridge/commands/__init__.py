"""The admin commands of ``bridge`` that change the directory without SQL by hand."""

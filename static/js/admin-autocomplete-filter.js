'use strict';
// An admin list filter picked with the autocomplete widget: choosing a record reloads the
// list filtered on it (the first page), keeping the other filters and the search.
// Bound once every script has run: the widget's media loads its own jQuery, and select2
// announces a choice on that one (django.jQuery by then).
window.addEventListener('DOMContentLoaded', function() {
    django.jQuery(document).on('change', 'select[data-autocomplete-filter]', function() {
        const url = new URL(window.location.href);
        url.searchParams.delete(this.name);
        url.searchParams.delete('p');
        if (this.value) {
            url.searchParams.set(this.name, this.value);
        }
        window.location.href = url.toString();
    });
});

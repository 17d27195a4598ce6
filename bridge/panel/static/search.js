// Finding an extension as you type (number or name), and the keys: "/" to the search, Enter
// to the first match, Esc to clear, the arrows from card to card.

const MOVES = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };

export class Search {
  constructor(input, cards) {
    this.input = input;
    this.cards = cards; // the grid's cards, in order (a Map)
    input.addEventListener('input', () => this.matchAll());
    input.addEventListener('keydown', (event) => this.onSearchKey(event));
    document.addEventListener('keydown', (event) => this.onKey(event));
  }

  query() {
    return this.input.value.trim().toLowerCase();
  }

  match(card, q = this.query()) {
    card.hidden = Boolean(q) && !card.dataset.search.includes(q);
  }

  matchAll() {
    const q = this.query();
    for (const card of this.cards.values()) this.match(card, q);
  }

  shown() {
    return [...this.cards.values()].filter((card) => !card.hidden);
  }

  onSearchKey(event) {
    if (event.key === 'Escape') {
      this.input.value = '';
      this.matchAll();
    } else if (event.key === 'Enter') {
      event.preventDefault(); // else the Enter would also press the button it focuses
      const [first] = this.shown();
      if (first) (first.querySelector('button') || first).focus();
    }
  }

  onKey(event) {
    const typing = event.target instanceof HTMLInputElement;
    if (event.key === '/' && !typing) {
      event.preventDefault();
      this.input.focus();
      this.input.select();
    } else if (event.key in MOVES && !typing && !event.altKey && !event.ctrlKey) {
      // card to card (the shown ones), to the same control where the next card has one
      const card = event.target instanceof Element && event.target.closest('.ext');
      if (!card) return;
      const shown = this.shown();
      const next = shown[shown.indexOf(card) + MOVES[event.key]];
      if (!next) return;
      event.preventDefault();
      const action = event.target.dataset && event.target.dataset.action;
      const same = action && next.querySelector(`[data-action="${CSS.escape(action)}"]`);
      (same || next.querySelector('button') || next).focus();
    }
  }
}

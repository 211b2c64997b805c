// Record headers as rows of name and value, added and removed one at a time.
import type { Header } from '@tributary/client';

export function HeaderFields(props: { headers: Header[]; onChange: (headers: Header[]) => void }) {
  const { headers, onChange } = props;
  const set = (index: number, field: 'key' | 'value', text: string) =>
    onChange(headers.map((h, i) => (i === index ? { ...h, [field]: text } : h)));
  return (
    <fieldset class="span headers">
      <legend>Headers (optional)</legend>
      {headers.map((header, index) => (
        <div class="header-row" key={index}>
          <label for={`header-key-${index}`}>Name {index + 1}</label>
          <input
            id={`header-key-${index}`}
            value={header.key}
            onInput={(e) => set(index, 'key', e.currentTarget.value)}
          />
          <label for={`header-value-${index}`}>Value {index + 1}</label>
          <input
            id={`header-value-${index}`}
            value={header.value ?? ''}
            onInput={(e) => set(index, 'value', e.currentTarget.value)}
          />
          <button
            type="button"
            class="secondary"
            aria-label={`Remove header ${index + 1}`}
            onClick={() => onChange(headers.filter((_, i) => i !== index))}
          >
            Remove
          </button>
        </div>
      ))}
      <button
        type="button"
        class="secondary"
        onClick={() => onChange([...headers, { key: '', value: '' }])}
      >
        Add header
      </button>
    </fieldset>
  );
}

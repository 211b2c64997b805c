// Rows of the console's forms (laid out by the .grid class): a label with its input and a line
// of help the input is described by; and a set of radio choices.
import type { ComponentChildren, InputHTMLAttributes } from 'preact';

export function Field(props: {
  id: string;
  label: ComponentChildren;
  value: string;
  onValue: (value: string) => void;
  /** Shown under the field, spanning the form's width, and read out with the input. */
  help?: ComponentChildren;
  /** The input's other attributes (type, min, required, ...). */
  input?: InputHTMLAttributes<HTMLInputElement>;
}) {
  const { id, help } = props;
  const helpId = help === undefined ? undefined : `${id}-help`;
  return (
    <>
      <label for={id}>{props.label}</label>
      <input
        {...props.input}
        id={id}
        value={props.value}
        aria-describedby={helpId}
        onInput={(e) => props.onValue(e.currentTarget.value)}
      />
      {help !== undefined && (
        <p id={helpId} class="muted span">
          {help}
        </p>
      )}
    </>
  );
}

export interface Choice<K extends string> {
  value: K;
  label: string;
}

/** Radio buttons, one per choice, under one name; the caller puts them in a fieldset. */
export function Choices<K extends string>(props: {
  name: string;
  choices: readonly Choice<K>[];
  value: K;
  onChange: (value: K) => void;
}) {
  return (
    <>
      {props.choices.map((choice) => (
        <label key={choice.value} class="choice">
          <input
            type="radio"
            name={props.name}
            value={choice.value}
            checked={props.value === choice.value}
            onChange={() => props.onChange(choice.value)}
          />
          {choice.label}
        </label>
      ))}
    </>
  );
}

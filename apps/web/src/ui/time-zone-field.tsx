import { useId } from 'react';
import { browserTimeZone, timeZones } from '../app/format.ts';
import { Field } from './field.tsx';

/** A text input with the IANA time zones as suggestions. */
export function TimeZoneField({
  label = 'Time zone',
  name = 'time_zone',
  defaultValue,
  required = true,
}: {
  label?: string;
  name?: string;
  defaultValue?: string | undefined;
  required?: boolean;
}) {
  const listId = useId();
  return (
    <>
      <Field
        label={label}
        name={name}
        defaultValue={defaultValue ?? browserTimeZone()}
        required={required}
        list={listId}
        autoComplete="off"
        spellCheck={false}
        hint="An IANA time zone, such as Europe/Berlin or America/New_York."
      />
      <datalist id={listId}>
        {timeZones().map((zone) => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
    </>
  );
}

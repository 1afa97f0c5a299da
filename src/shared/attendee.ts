/** Who an appointment is booked for: the calendar providers take it, and the built-in calendar stores it sealed. */
export interface Attendee {
  name: string;
  phone?: string;
  email?: string;
}

/** Schemas shared by the agent schema and the action types (kept apart to avoid an import cycle). */
import { isValidPhoneNumber } from 'libphonenumber-js';
import { z } from 'zod';
import { validateBusinessHours, WEEKDAYS, type Weekday } from './business-hours';

export const e164 = z
  .string()
  .refine(
    (v) => /^\+[1-9]\d{6,14}$/.test(v) && isValidPhoneNumber(v),
    'a valid E.164 phone number like +14155550100',
  );

export const businessHoursSchema = z
  .object({
    timezone: z.string().describe('IANA time zone, e.g. America/New_York'),
    weekly: z
      .object(
        Object.fromEntries(WEEKDAYS.map((d) => [d, z.array(z.string()).optional()])) as Record<
          Weekday,
          z.ZodOptional<z.ZodArray<z.ZodString>>
        >,
      )
      .strict()
      .describe('Open intervals per weekday, e.g. { mon: ["09:00-12:00", "13:00-17:00"] }'),
    closedDates: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/)).optional(),
  })
  .strict()
  .superRefine((hours, ctx) => {
    // "weekly.mon: …" becomes a problem at weekly.mon, so a form can show it beside that day.
    for (const problem of validateBusinessHours(hours)) {
      const m = /^([a-z]+(?:\.[a-z]+)?): ([\s\S]*)$/.exec(problem);
      ctx.addIssue(
        m ? { code: 'custom', path: m[1].split('.'), message: m[2] } : { code: 'custom', message: problem },
      );
    }
  });

/** Open intervals per weekday as "HH:MM-HH:MM" (24h, local time; a missing day is closed), and closed dates. */
export type BusinessHours = z.infer<typeof businessHoursSchema>;

export const schedulingSchema = z
  .object({
    provider: z.enum(['builtin', 'google', 'outlook', 'calcom']).default('builtin'),
    calendarId: z
      .string()
      .min(1)
      .optional()
      .describe(
        'builtin: a name (default the agent id); google: calendar id; outlook: mailbox user; calcom: event type id',
      ),
    checkCalendars: z.array(z.string()).optional().describe('Further calendars whose busy time blocks slots'),
    hours: businessHoursSchema,
    durationMinutes: z.number().int().min(5).max(480).default(30),
    bufferMinutes: z.number().int().min(0).max(240).default(0),
    minNoticeMinutes: z.number().int().min(0).max(10_080).default(60),
    horizonDays: z.number().int().min(1).max(365).default(14),
    granularityMinutes: z.number().int().min(5).max(240).default(30),
    maxOptions: z.number().int().min(1).max(10).default(3),
    title: z.string().default('Appointment'),
    location: z.string().optional(),
  })
  .strict();

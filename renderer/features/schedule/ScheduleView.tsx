import { CalendarView } from '../calendar/CalendarView.tsx';

// The Schedule entry: the week calendar of every scheduled run (renderer/features/calendar).
export function ScheduleView() {
  return <CalendarView />;
}
